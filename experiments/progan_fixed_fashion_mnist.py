"""ProGAN's networks on Fashion-MNIST padded to 32x32 without growing: the full 32x32 networks
from step 0, with progan_fashion_mnist.py's steps, batch and optimizer (issue #34's baseline,
the same budget with and without growing). XLA's convolutions: no conditional in its step.
98 min of steps for 3,000 beside progan_fashion_mnist.py on 2 CPU cores.

Launch:   jaxgen train --config experiments/progan_fixed_fashion_mnist.py --workdir runs/progan_fixed_fm
Evaluate: jaxgen eval --workdir runs/progan_fixed_fm
Result (seed 0, 2026-12-07): FMNIST-FID 25.1 (EMA generator), 18.7 (live), all 10 classes at
5.2-18.5% (docs/results.md).
"""

import _progan_base


def get_config(arg=None):
  config = _progan_base.get_config(arg)
  config.description = "ProGAN's networks on Fashion-MNIST padded to 32x32, not growing"
  config.model.grow = False
  config.model.conv = "xla"  # a plain program: XLA:CPU's convolutions beat im2col's there
  return config
