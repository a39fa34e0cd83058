"""DDPM on the 5x5 grid of Gaussians (PacGAN's setup: means {-4, ..., 4}^2, std 0.05).

ddpm_ring8's model and training; evaluated as PacGAN (Lin et al. 2018, Table 1), 2,500 samples.

Launch:   jaxgen train --config experiments/ddpm_grid25.py --workdir runs/ddpm_grid25
Evaluate: jaxgen eval --workdir runs/ddpm_grid25
Expected (seed 0, 10,000 steps, ~15 min on 2 CPU cores): 25/25 modes, high_quality_frac 0.984,
mmd2 -0.0009 (indistinguishable from the test split), mean true log-density of samples -0.14.
Paper:    PacGAN4 24.8 modes / 93.6% high quality (Lin et al. 2018, Table 1).
"""

import ddpm_ring8
from jaxgen.core.config import reproduce


def get_config(arg=None):
  config = ddpm_ring8.get_config(arg)
  config.description = "DDPM, residual MLP denoiser, L_simple, T=1000 linear, grid25"
  config.data.name = "grid25"
  reproduce(config, ('modes_captured == 25', 'high_quality_frac >= 0.90'),
            source='issue #8 floor',
            protocol='2,500 samples, within 3 std',
            compute='about 10 min on 2 busy CPU cores')
  return config
