"""ProGAN (Karras et al. 2018) on Fashion-MNIST padded to 32x32, growing 4 -> 8 -> 16 -> 32.

G and D of 128-128-64-32 channels, batch 32, 3,000 steps (_progan_base.py); the same budget
without growing: progan_fixed_fashion_mnist.py. 95 min of steps beside that run on 2 CPU cores
(im2col inside the stages' lax.switch, where XLA's convolutions are some 10x slower).

Launch:   jaxgen train --config experiments/progan_fashion_mnist.py --workdir runs/progan_fm
Evaluate: jaxgen eval --workdir runs/progan_fm
Result (seed 0, 2026-12-07): FMNIST-FID 138.9 with the EMA generator (8 classes), 26.9 with the
live one; not growing: 25.1 / 18.7 (docs/results.md: the EMA of 0.999 outlasts a 375-step phase).
"""

import _progan_base


def get_config(arg=None):
  config = _progan_base.get_config(arg)
  config.description = "ProGAN on Fashion-MNIST padded to 32x32, growing from 4x4"
  return config
