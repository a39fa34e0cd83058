"""GAN on the 5x5 grid of Gaussians in PacGAN's setup (Lin et al. 2018, Table 1).

With R1 0.1, EMA, no batch norm in G and Adam 1e-3 for 40,000 steps (_gan_base.py).

Launch:   jaxgen train --config experiments/gan_grid25.py --workdir runs/gan_grid25
Evaluate: jaxgen eval --workdir runs/gan_grid25
Expected (40,000 steps, 20-35 min on one CPU core): 25/25 modes, high_quality_frac 0.954 at seed 0
(seeds 1 / 2: 0.964 / 0.961); 2,500 samples, high quality within 3 std of the nearest mode.
Paper:    PacGAN Table 1 (grid, modes / high quality): GAN 17.3 / 94.8%, PacGAN2 23.8 / 91.3%,
          PacGAN4 24.8 / 93.6%.
"""

import _gan_base
from jaxgen.core.config import reproduce


def get_config(arg=None):
  config = _gan_base.get_config(arg)
  config.description = "PacGAN setup on grid25: MLP generator, maxout discriminator, packing"
  reproduce(config, ('modes_captured == 25', 'high_quality_frac >= 0.94'),
            source='issue #5 floor; PacGAN Table 1 (PacGAN4: 24.8 modes, 93.6%)',
            paper='24.8 / 93.6%',
            protocol=('2,500 samples of the EMA generator; high quality within 3 std of the '
                      'nearest mode'),
            compute='20-35 min on one CPU core (40,000 steps)')
  return config
