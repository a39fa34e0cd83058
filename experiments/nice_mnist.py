"""NICE on MNIST (TFDS) in the paper's setup (Dinh et al. 2015, Sec. 5.1).

4 additive couplings with ReLU MLPs of 5 x 1000 units, a diagonal scaling, a logistic prior,
Adam 1e-3 (b1 0.9, b2 0.99, eps 1e-4); batch 100 and 300,000 steps are ours.

Launch:   jaxgen train --config experiments/nice_mnist.py --workdir runs/nice_mnist
Evaluate: jaxgen eval --workdir runs/nice_mnist
Data:     mnist, prepared offline (README, "Real data").
Paper:    test log-likelihood 1980.50 nats (Table 1) = 4.36 bits/dim in the 256-level convention.
          Not run here (needs the data).
"""

import _image_flow_base
from jaxgen.core.config import reproduce


def get_config(arg=None):
  config = _image_flow_base.get_config(arg)
  config.description = "NICE, 4 additive couplings, MLP 5x1000, logistic prior, MNIST (Table 1)"
  config.data.name = "mnist"
  config.model.name = "nice"
  config.model.num_couplings = 4
  config.model.hidden = (1000,) * 5
  config.model.base = "logistic"
  # FID needs Inception weights on disk: --config.eval.fid_extractor=inception
  config.eval.fid_extractor = ""
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
