"""StyleGAN2 (Karras et al. 2020) on Fashion-MNIST, padded to 32x32 (4 -> 8 -> 16 -> 32).

Mapping 4 x 128, synthesis and residual D of 128-128-64-32 channels, batch 32 (_stylegan_base).
Speed: 0.6-1.2 steps/s over 200-500 steps (nice -n 10, beside 1-3 other trainings on the 2
cores), so 6,000 steps (192k images, 3.5 epochs) take ~1.5-2.5 h with the evaluations.

Launch:   jaxgen train --config experiments/stylegan_fashion_mnist.py --workdir runs/stylegan_fm
Evaluate: jaxgen eval --workdir runs/stylegan_fm   (truncation.md: the metrics at psi 1, 0.7, 0.5)
Expected (issue #34): FMNIST-FID at most 0.7x dcgan_fashion_mnist's at the same training time,
all 10 classes, precision rising and FID / recall falling as psi falls. Not yet measured.
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
