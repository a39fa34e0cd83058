"""The plain minimax GAN on grid25: gan_grid25.py without its R1 penalty, with the saturating loss.

Launch:   jaxgen train --config experiments/gan_grid25_minimax.py --workdir runs/gan_grid25_minimax
Evaluate: jaxgen eval --workdir runs/gan_grid25_minimax
The same on the ring: jaxgen train --config experiments/gan_ring8.py --workdir runs/gan_ring8_minimax
  --config.loss.name=minimax --config.loss.r1_weight=0

Goodfellow et al. 2014's minimax loss, no packing, no R1; otherwise gan_grid25.py (networks,
optimizer, steps, EMA). Compare PacGAN Table 1's GAN row (grid 17.3 modes / 94.8% high quality).
Measured, seed 0: with gan_grid25's generator (no batch norm, 40,000 steps) the saturating game
fails outright: D's logits on samples reach -1e5 by step 15,000, G's gradient vanishes and its
samples drift to |x| ~ 1e4 (0 of 25 modes). With PacGAN's batch-norm generator (20,000 steps,
``--config.model.g_norm=batch --config.train.num_steps=20000``) it collapses to 16 of 25 modes,
high quality 0.37. The target below is the claim this baseline exists for: it misses modes.
Expected: see the README's results table.
"""

import gan_grid25
from jaxgen.core.config import reproduce


def get_config(arg=None):
  config = gan_grid25.get_config(arg)
  config.description = "Plain minimax GAN on grid25 (no packing): the mode-collapse baseline"
  config.loss.name = "minimax"
  config.model.pack = 1
  config.loss.r1_weight = 0.0  # nothing added to the original game
  reproduce(config, ('modes_captured <= 24',),
            source=('jaxgen baseline: the plain game misses modes; '
                    'PacGAN Table 1 GAN row 17.3 modes / 94.8%'),
            paper='17.3 / 94.8%',
            protocol='2,500 samples',
            compute='20-35 min on one CPU core (40,000 steps)')
  return config
