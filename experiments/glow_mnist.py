"""Glow on MNIST (TFDS): 1.05 bits/dim on the test set, as reported for Glow by Grathwohl et al.
(2019, FFJORD, Table 2; RealNVP 1.06 there).

Launch:   jaxgen train --config experiments/glow_mnist.py --workdir runs/glow_mnist
Evaluate: jaxgen eval --workdir runs/glow_mnist
Needs the data prepared offline: `tfds build mnist --data_dir=DIR`, TFDS_DATA_DIR=DIR.

The CIFAR-10 setup of glow_cifar10 (32 steps per scale, width 512, affine couplings, learned
priors, 8 bits) on 28x28x1 images: 2 scales (28 -> 14 -> 7; the Glow code pads MNIST to 32x32,
which allows 3). ``:smoke`` shrinks the network as glow_cifar10's does.
Expected: 1.05 bits/dim (reported); not measured here (no network for the data).
"""

import glow_cifar10
from jaxgen.core.config import reproduce


def get_config(arg=None):
  config = glow_cifar10.get_config(arg)
  config.description = "Glow, 2 scales x 32 steps, width 512, affine, MNIST (1.05 bits/dim reported)"
  config.data.name = "mnist"
  config.model.num_scales = 2
  reproduce(config, ('bits_per_dim ~= 1.05 +- 0.05',),
            source='Grathwohl et al. 2019 (FFJORD) Table 2, Glow row',
            paper='1.05',
            protocol='MNIST test, 256 levels dequantized',
            compute='GPU; not run here (needs TFDS MNIST)')
  return config
