"""DDPM (Ho et al. 2020) on scikit-learn's 8x8 digits: a 0.7M-parameter U-Net, L_simple.

Sampled by 50-step DDIM at eta 1 (_ddpm_base.py).

Launch:   jaxgen train --config experiments/ddpm_digits.py --workdir runs/ddpm_digits
Evaluate: jaxgen eval --workdir runs/ddpm_digits   (also writes fid_vs_steps.{json,md,png})
Expected (seed 0, 3,500 steps, 18 min on 2 CPU cores; evaluation ~35 min): 10 of 10 classes,
9.2-10.9% each; digits-FID 0.34, KID 0.005, precision 0.70, recall 0.85 (10,000 samples;
dcgan_digits: 1.95); bound estimate (T L_t + L_T) 1.56 bits/dim. FID vs steps (500 samples each):
DDIM-50 0.69 at eta 1, 1.45 at eta 0, ancestral-1000 0.81.
"""

import _ddpm_base
from jaxgen.core.config import reproduce


def get_config(arg=None):
  config = _ddpm_base.get_config(arg)
  config.description = "DDPM, U-Net ch 32 (1, 2), L_simple, T=1000 linear, 8x8 digits"
  reproduce(config, ('num_classes_generated == 10', 'min_class_frac >= 0.05',
                     'max_class_frac <= 0.15', 'fid <= 1.95'),
            source='issue #8 floor: all classes, and digits-FID no higher than dcgan_digits (1.95)',
            protocol='10,000 DDIM-50 samples (eta 1), digits classifier, FID vs train',
            compute='about 20 min training and 35 min evaluation on 2 CPU cores')
  return config
