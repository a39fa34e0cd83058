"""ProGAN (Karras et al. 2018) on Fashion-MNIST padded to 32x32, growing 4 -> 8 -> 16 -> 32.

G and D of 128-128-64-32 channels, batch 32, 3,000 steps (_progan_base.py); the same budget
without growing: progan_fixed_fashion_mnist.py. A 32x32 step takes 4.3 s beside one other
training on 2 CPU cores (im2col inside the stages' lax.switch; XLA's convolutions there: 43 s),
the stages below ~0.03 / 0.2 / 0.5 times that: ~2 h in all.

Launch:   jaxgen train --config experiments/progan_fashion_mnist.py --workdir runs/progan_fm
Evaluate: jaxgen eval --workdir runs/progan_fm
Not yet measured (issue #34: FMNIST-FID with and without growing at the same budget).
"""

import _progan_base


def get_config(arg=None):
  config = _progan_base.get_config(arg)
  config.description = "ProGAN on Fashion-MNIST padded to 32x32, growing from 4x4"
  return config
