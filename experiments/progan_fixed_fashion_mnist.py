"""ProGAN's networks on Fashion-MNIST padded to 32x32 without growing: the full 32x32 networks
from step 0, with progan_fashion_mnist.py's steps, batch and optimizer (issue #34's baseline,
the same budget with and without growing). XLA's convolutions: no conditional in its step.
Speed: 2.4 s per step beside one other training on 2 CPU cores, so ~2 h for 3,000 steps.

Launch:   jaxgen train --config experiments/progan_fixed_fashion_mnist.py --workdir runs/progan_fixed_fm
Evaluate: jaxgen eval --workdir runs/progan_fixed_fm
Not yet measured (issue #34).
"""

import _progan_base


def get_config(arg=None):
  config = _progan_base.get_config(arg)
  config.description = "ProGAN's networks on Fashion-MNIST padded to 32x32, not growing"
  config.model.grow = False
  config.model.conv = "xla"  # a plain program: XLA:CPU's convolutions beat im2col's there
  return config
