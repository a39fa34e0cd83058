"""DCGAN (Radford et al. 2016) on scikit-learn's 8x8 digits, scored by the digits classifier.

G 100 -> 2x2x128 -> 4x4x64 -> 8x8x1, D its mirror (_dcgan_base.py); metrics of 10,000 samples.

Launch:   jaxgen train --config experiments/dcgan_digits.py --workdir runs/dcgan_digits
Evaluate: jaxgen eval --workdir runs/dcgan_digits
Expected (seed 0, 3,000 steps, 8 min with evaluation on 2 CPU cores): 10 of 10 classes, each
7.6-12.6% of the samples; digits-FID 1.95, KID 0.074, precision 0.35, recall 0.91.
"""

import _dcgan_base
from jaxgen.core.config import reproduce


def get_config(arg=None):
  config = _dcgan_base.get_config(arg)
  config.description = "DCGAN on 8x8 digits, non-saturating loss"
  reproduce(config, ('num_classes_generated == 10', 'min_class_frac >= 0.05',
                     'max_class_frac <= 0.15'),
            source='issue #5 floor',
            protocol='10,000 samples, digits classifier; FID/KID vs the train split',
            compute='minutes on 2 CPU cores')
  return config
