"""DCGAN (Radford et al. 2016) on CIFAR-10 32x32 (TFDS) with the paper's hyper-parameters.

G 100 -> 4x4x512 -> ... -> 32x32x3, D its mirror, batch norm in both, Adam 2e-4 (beta1 0.5),
batch 128, no EMA, 100,000 steps.

Launch:   jaxgen train --config experiments/dcgan_cifar10.py --workdir runs/dcgan_cifar10
Evaluate: JAXGEN_FID_WEIGHTS=fid_inception.npz jaxgen eval --workdir runs/dcgan_cifar10
Data:     cifar10, prepared offline (README, "Real data").
Paper:    Inception Score 6.16 +- .07 for DCGAN (Gulrajani et al. 2017, Table 3, unsupervised; the
          DCGAN paper reports none), 50,000 samples in 10 splits. Not run here (needs the data).
"""

import _dcgan_base
from jaxgen.core.config import reproduce


def get_config(arg=None):
  config = _dcgan_base.get_config(arg)
  config.description = "DCGAN on CIFAR-10 32x32 (Radford et al. 2016 hyper-parameters)"
  config.data.name = "cifar10"
  config.model.features = 128
  config.train.ema_decay = 0.0
  config.eval.fid_extractor = "inception"
  if arg == "smoke":
    config.eval.fid_extractor = ""  # No Inception weights offline; the mocked data has no meaning.
  else:
    config.eval.num_image_samples = 50_000
    config.train.num_steps = 100_000
    config.train.batch_size = 128
    config.log_every = 500
    config.eval_every = 5000
    config.checkpoint_every = 5000
  reproduce(config, ('inception_score ~= 6.16 +- 0.5',),
            source='Gulrajani et al. 2017 Table 3 (DCGAN, unsupervised)',
            paper='6.16',
            protocol='50,000 samples, 10 splits, Inception-v3',
            compute='GPU; not run here (needs TFDS CIFAR-10)')
  return config
