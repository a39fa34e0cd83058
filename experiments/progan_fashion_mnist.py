"""ProGAN (Karras et al. 2018) on Fashion-MNIST padded to 32x32, growing 4 -> 8 -> 16 -> 32.

G and D of 128-128-64-32 channels, batch 32, 6,000 steps (_progan_base.py); the same budget
without growing: progan_fixed_fashion_mnist.py. Speed (20 steps per stage, 2 CPU cores loaded
~4x over): 0.17 / 1.1 / 3.0 / 5.9 s per step at 4 / 8 / 16 / 32, so ~5.4 h (0.31 steps/s).

Launch:   jaxgen train --config experiments/progan_fashion_mnist.py --workdir runs/progan_fm
Evaluate: jaxgen eval --workdir runs/progan_fm
Not yet measured.
"""

import _progan_base


def get_config(arg=None):
  config = _progan_base.get_config(arg)
  config.description = "ProGAN on Fashion-MNIST padded to 32x32, growing from 4x4"
  return config
