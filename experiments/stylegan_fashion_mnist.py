"""StyleGAN2 (Karras et al. 2020) on Fashion-MNIST, padded to 32x32 (4 -> 8 -> 16 -> 32).

Mapping 4 x 128, synthesis and residual D of 128-128-64-32 channels, batch 32 (_stylegan_base).

Launch:   jaxgen train --config experiments/stylegan_fashion_mnist.py --workdir runs/stylegan_fm
Evaluate: jaxgen eval --workdir runs/stylegan_fm [--checkpoint 4000]   (writes truncation.md)
Measured (seed 0, step 4,000 = 1.6 h on 2 shared CPU cores, dcgan_fashion_mnist's ~1.7 h):
FMNIST-FID 17.2, KID 0.27, precision 0.45, recall 0.49, 10 classes at 3.3-13.7%; psi 0.7 / 0.5:
FID 26.7 / 47.1, precision 0.55 / 0.61, recall 0.26 / 0.17. Issue #34's floor, 0.7 x DCGAN's
7.89 = 5.5, is not met: 128k images are few for StyleGAN2 (DCGAN sees 640k in that time).
"""

import _stylegan_base
from jaxgen.core.config import reproduce


def get_config(arg=None):
  config = _stylegan_base.get_config(arg)
  config.description = "StyleGAN2 on Fashion-MNIST padded to 32x32"
  if arg != "smoke":
    config.train.num_steps = 6000
  reproduce(config, ('num_classes_generated == 10',), source='issue #34',
            protocol='10,000 samples of the EMA generator at psi 1, Fashion-MNIST classifier; '
                     'FID/KID vs the train split',
            compute='2 CPU cores, ~2 h')
  return config
