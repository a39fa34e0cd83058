"""GAN on the ring of 8 Gaussians in PacGAN's setup (Lin et al. 2018, Table 1).

Launch:   jaxgen train --config experiments/gan_ring8.py --workdir runs/gan_ring8
Evaluate: jaxgen eval --workdir runs/gan_ring8
The plain minimax GAN on the same toy: add --config.loss.name=minimax --config.loss.r1_weight=0.

Everything as gan_grid25.py (PacGAN's networks, Adam 1e-4 / beta1 0.8, batch 100, 2,500
evaluation samples, high quality within 3 std); jaxgen's ring has radius 2 and std 0.02 (PacGAN's:
radius 1, std 0.01, the same shape). PacGAN Table 1 (ring, modes / high-quality %): GAN 6.3 / 98.2,
PacGAN2 7.9 / 95.6, PacGAN3 7.8 / 97.7, PacGAN4 7.8 / 95.9.
Expected: see the README's results table.
"""

import gan_grid25
from jaxgen.core.config import reproduce


def get_config(arg=None):
  config = gan_grid25.get_config(arg)
  config.description = "PacGAN setup on ring8: MLP generator, maxout discriminator, packing"
  config.data.name = "ring8"
  if arg != "smoke":
    config.train.num_steps = 20000  # high quality 0.99 at 20,000 (grid25 takes 40,000)
  reproduce(config, ('modes_captured == 8', 'high_quality_frac >= 0.96'),
            source='issue #5 floor; PacGAN Table 1 (PacGAN2: 7.9 modes, 95.6%)',
            paper='7.9 / 95.6%',
            protocol='2,500 samples of the EMA generator; high quality within 3 std of the nearest mode',
            compute='15-20 min on one CPU core')
  return config
