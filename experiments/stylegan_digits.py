"""StyleGAN2 (Karras et al. 2020) on scikit-learn's 8x8 digits (4 -> 8), scored by the digits
classifier.

64-d z and w, synthesis and D of 64 channels at 4x4 and 32 at 8x8 (_stylegan_base.py otherwise).

Launch:   jaxgen train --config experiments/stylegan_digits.py --workdir runs/stylegan_digits
Evaluate: jaxgen eval --workdir runs/stylegan_digits
Measured (seed 0, 20,000 steps, 14 min + 33 s evaluation on 2 shared CPU cores): 10 of 10
classes, each 5.1-13.5% of 10,000 samples; digits-FID 1.96, KID 0.051, precision 0.68, recall
0.75 (dcgan_digits: 1.95, 0.35, 0.91). psi 0.7: FID 1.44, recall 0.61; psi 0.5: 5.60, 0.45.
"""

import _stylegan_base
from jaxgen.core.config import reproduce


def get_config(arg=None):
  config = _stylegan_base.get_config(arg)
  config.description = "StyleGAN2 on 8x8 digits"
  config.data.name = "digits"
  config.model.z_dim = config.model.w_dim = 64
  config.model.channel_base = 256
  config.model.channel_max = 64
  config.eval.fid_extractor = "digits"
  if arg != "smoke":
    config.train.num_steps = 20_000
    config.eval_every = 2000
    config.checkpoint_every = 2000
  reproduce(config, ('num_classes_generated == 10',), source='issue #34 (all classes)',
            protocol='10,000 samples at psi 1, digits classifier; FID/KID vs the train split',
            compute='15 min on 2 CPU cores')
  return config
