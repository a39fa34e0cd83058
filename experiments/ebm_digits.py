"""Energy-based model on 8x8 digits: a convolutional energy by contrastive divergence.

Du & Mordatch 2019 / Nijkamp et al. 2019: short-run SGLD negatives (20 steps) from a replay buffer
with 5% restarted from uniform noise, the energy-magnitude regulariser; samples continue buffer
chains for 20 steps, scored in the digits classifier's features.

Launch:   jaxgen train --config experiments/ebm_digits.py --workdir runs/ebm_digits
Evaluate: jaxgen eval --workdir runs/ebm_digits
Measured (seed 0, 5,000 steps, 11.5 min on 2 shared CPU cores): 1,000 samples (buffer chains,
20 more steps) of 10 of 10 classes, 7.8-12.1% each; digits-FID 1.76, KID 0.072, P/R 0.43/0.85.
"""

import _ebm_base


def get_config(arg=None):
  config = _ebm_base.get_config(arg)
  config.description = "EBM, conv energy (32, 64; 128), SGLD 20 steps + replay buffer, digits"
  return config
