"""Glow on MNIST (TFDS): glow_cifar10's setup with 2 scales (28 -> 14 -> 7).

32 steps per scale, width 512, affine couplings, learned priors.

Launch:   jaxgen train --config experiments/glow_mnist.py --workdir runs/glow_mnist
Evaluate: jaxgen eval --workdir runs/glow_mnist
Data:     mnist, prepared offline (README, "Real data").
Paper:    1.05 bits/dim for Glow as reported by Grathwohl et al. 2019 (FFJORD, Table 2; RealNVP
          1.06). Not run here (needs the data).
"""

import glow_cifar10
from jaxgen.core.config import reproduce


def get_config(arg=None):
  config = glow_cifar10.get_config(arg)
  config.description = ("Glow, 2 scales x 32 steps, width 512, affine, "
                        "MNIST (1.05 bits/dim reported)")
  config.data.name = "mnist"
  config.model.num_scales = 2
  reproduce(config, ('bits_per_dim ~= 1.05 +- 0.05',),
            source='Grathwohl et al. 2019 (FFJORD) Table 2, Glow row',
            paper='1.05',
            protocol='MNIST test, 256 levels dequantized',
            compute='GPU; not run here (needs TFDS MNIST)')
  return config
