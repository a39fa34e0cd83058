"""DDPM on the 5x5 grid of Gaussians (PacGAN's setup: means {-4, ..., 4}^2, std 0.05).

Launch:   jaxgen train --config experiments/ddpm_grid25.py --workdir runs/ddpm_grid25
Evaluate: jaxgen eval --workdir runs/ddpm_grid25

ddpm_ring8's model and training on the grid; evaluation as PacGAN (Lin et al. 2018, Table 1):
2,500 samples, a sample is high quality within 3 std of its nearest mode, a mode is captured if
it is the nearest mode of a high-quality sample. PacGAN4 reaches 24.8 modes / 93.6% high quality.
Expected (seed 0, 10,000 steps, ~15 min on 2 busy CPU cores; eval ~2 min alone): 25/25 modes,
high_quality_frac 0.984, mmd2 -0.0009 (unbiased, i.e. indistinguishable from the test split),
mean true log-density of samples -0.14 nats. At 5,000 steps: 25/25 modes but 0.825 high quality
(the clusters are still wider than std 0.05); 100-step DDIM at 5,000 steps: 0.788.
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
