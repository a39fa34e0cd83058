"""ProGAN (Karras et al. 2018) on scikit-learn's 8x8 digits, growing 4 -> 8, scored by the digits
classifier.

64-d z, G and D of 64 channels at 4x4 and 32 at 8x8; 2,500 steps at 4x4, 2,500 fading 8x8 in,
5,000 stable (_progan_base.py otherwise).

Launch:   jaxgen train --config experiments/progan_digits.py --workdir runs/progan_digits
Evaluate: jaxgen eval --workdir runs/progan_digits
Measured (seed 0, 10,000 steps, 12 min on 2 shared CPU cores): 10 of 10 classes, each 7.2-13.2%
of 10,000 samples; digits-FID 2.61, KID 0.108, precision 0.30, recall 0.93 (stylegan_digits:
1.96, 0.051, 0.68, 0.75).
"""

import _progan_base
from jaxgen.core.config import reproduce


def get_config(arg=None):
  config = _progan_base.get_config(arg)
  config.description = "ProGAN on 8x8 digits, growing from 4x4"
  config.data.name = "digits"
  config.model.z_dim = 64
  config.model.channel_base = 256
  config.model.channel_max = 64
  config.eval.fid_extractor = "digits"
  if arg == "smoke":
    config.model.stable_steps = 4  # 4x4 for 4 steps, 8x8 fading in over the next 4
    config.model.fade_steps = 4
  else:
    config.train.num_steps = 10_000
    config.model.stable_steps = 2500
    config.model.fade_steps = 2500
    config.eval_every = 2000
    config.checkpoint_every = 2000
  reproduce(config, ('num_classes_generated == 10',), source='issue #34 (all classes)',
            protocol='10,000 samples of the last stage, digits classifier; FID/KID vs the train '
                     'split', compute='12 min on 2 CPU cores')
  return config
