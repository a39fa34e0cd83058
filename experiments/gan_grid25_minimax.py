"""The plain minimax GAN (Goodfellow et al. 2014) on grid25: the mode-collapse baseline.

gan_grid25 with the saturating loss and no R1 penalty.

Launch:   jaxgen train --config experiments/gan_grid25_minimax.py --workdir runs/gan_minimax
Evaluate: jaxgen eval --workdir runs/gan_minimax
Expected (seed 0, 40,000 steps): 0 of 25 modes: D's logits on samples reach -1e5 by step 15,000
and G's samples drift to |x| ~ 1e4. With PacGAN's batch-norm G (--config.model.g_norm=batch,
20,000 steps): 16 of 25 modes, high quality 0.37.
Paper:    PacGAN Table 1, GAN row: 17.3 modes / 94.8% high quality.
"""

import _gan_base
from jaxgen.core.config import reproduce


def get_config(arg=None):
  config = _gan_base.get_config(arg)
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
