"""DDPM on MNIST (TFDS): ddpm_cifar10's recipe on a 28x28 U-Net.

ch 64, multipliers (1, 2, 2), attention at 14x14, 100,000 steps.

Launch:   jaxgen train --config experiments/ddpm_mnist.py --workdir runs/ddpm_mnist
Evaluate: jaxgen eval --workdir runs/ddpm_mnist
Data:     mnist, prepared offline (README, "Real data").
Expected: the 1000-term bound <= 1.5 bits/dim of the 256-level data (jaxgen baseline; Ho et al.
report no MNIST result; dequantized flows: RealNVP 1.06, Glow 1.05, Grathwohl et al. 2019,
Table 2). Not run here (needs the data).
"""

import ddpm_cifar10
from jaxgen.core.config import reproduce


def get_config(arg=None):
  config = ddpm_cifar10.get_config(arg)
  config.description = "DDPM, U-Net ch 64 (1, 2, 2), MNIST"
  config.data.name = "mnist"
  config.model.attn_resolutions = (14,)
  if arg == "smoke":
    return config
  config.model.ch = 64
  config.model.ch_mult = (1, 2, 2)
  config.train.num_steps = 100_000
  config.eval_every = 10_000
  reproduce(config, ('bits_per_dim <= 1.5',),
            source='jaxgen baseline (not run here: needs TFDS MNIST)',
            protocol='the full bound over T terms, 256 levels',
            compute='GPU')
  return config
