"""NICE on MNIST (TFDS), the paper's setup (Dinh et al. 2015, Table 1: test log-likelihood 1980.50
nats, i.e. (784 ln 256 - 1980.50) / (784 ln 2) = 4.36 bits/dim in the 256-level convention).

Launch:   jaxgen train --config experiments/nice_mnist.py --workdir runs/nice_mnist
Evaluate: jaxgen eval --workdir runs/nice_mnist
Needs the data prepared offline: `tfds build mnist --data_dir=DIR`, TFDS_DATA_DIR=DIR.

Table 1 and sec. 5.1: dequantized pixels rescaled to [0, 1]; 4 additive coupling layers with
alternating (odd/even) partitions, each coupling function a ReLU MLP of 5 hidden layers of 1000
units; a diagonal scaling layer; a standard logistic prior; Adam with learning rate 1e-3,
momentum 0.9, beta2 = 0.01 and delta = 1e-4 (that paper's beta2 is one minus the decay of the
second-moment average, the convention of Adam's first version: optax's b2 = 0.99). Batch size and
training length are not given there: 100 and 300,000 steps (500 epochs) here. ``:smoke`` shrinks
the MLPs (2 x 64) so that the run takes seconds on a CPU.
Expected: 4.36 bits/dim (paper); not measured here (no network for the data).
"""

import glow_digits
from jaxgen.core.config import reproduce


def get_config(arg=None):
  config = glow_digits.get_config(arg)
  config.description = "NICE, 4 additive couplings, MLP 5x1000, logistic prior, MNIST (Table 1)"
  config.data.name = "mnist"
  config.model.name = "nice"
  config.model.num_couplings = 4
  config.model.hidden = (1000,) * 5
  config.model.base = "logistic"
  config.eval.fid_extractor = ""  # FID needs Inception weights on disk: --config.eval.fid_extractor=inception
  if arg == "smoke":
    config.model.hidden = (64, 64)
    return config
  config.train.num_steps = 300_000
  config.train.batch_size = 100
  config.optimizer.learning_rate = 1e-3
  config.optimizer.b1 = 0.9
  config.optimizer.b2 = 0.99
  config.optimizer.eps = 1e-4
  config.optimizer.schedule = "constant"
  config.optimizer.warmup_steps = 0
  config.eval.batch_size = 500
  config.log_every = 500
  config.eval_every = 20_000
  config.checkpoint_every = 5_000
  reproduce(config, ('bits_per_dim ~= 4.36 +- 0.1',),
            source='Dinh et al. 2015 Table 1 (1980.50 nats)',
            paper='4.36',
            protocol='MNIST test, 256 levels dequantized',
            compute='GPU; not run here (needs TFDS MNIST)')
  return config
