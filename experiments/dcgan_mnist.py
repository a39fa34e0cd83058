"""DCGAN (Radford et al. 2016) on MNIST 28x28 (TFDS) with the paper's hyper-parameters.

G 100 -> 7x7x128 -> 14x14x64 -> 28x28x1, D its mirror, Adam 2e-4 (beta1 0.5), batch 128, no
EMA, 20,000 steps (~43 epochs).

Launch:   jaxgen train --config experiments/dcgan_mnist.py --workdir runs/dcgan_mnist
Evaluate: JAXGEN_FID_WEIGHTS=fid_inception.npz jaxgen eval --workdir runs/dcgan_mnist
Data:     mnist, prepared offline (README, "Real data").
Expected: Inception FID <= 50 (jaxgen baseline; the paper reports no MNIST metric). Not run here
(needs the data and the Inception weights).
"""

import _dcgan_base
from jaxgen.core.config import reproduce


def get_config(arg=None):
  config = _dcgan_base.get_config(arg)
  config.description = "DCGAN on MNIST 28x28 (Radford et al. 2016 hyper-parameters)"
  config.data.name = "mnist"
  config.model.features = 64
  config.train.ema_decay = 0.0
  config.eval.fid_extractor = "inception"
  if arg == "smoke":
    config.eval.fid_extractor = ""  # No Inception weights offline; the mocked data has no meaning.
  else:
    config.train.num_steps = 20_000
    config.train.batch_size = 128
    config.log_every = 200
    config.eval_every = 2000
    config.checkpoint_every = 2000
  reproduce(config, ('fid <= 50.0',),
            source='jaxgen baseline (not run here: needs TFDS MNIST and Inception weights)',
            protocol='10,000 samples, Inception FID vs train',
            compute='GPU')
  return config
