"""JEM (Grathwohl et al. 2020) on 8x8 digits: a classifier whose logits f(x) are the energy.

E(x, y) = -f(x)[y], E(x) = -logsumexp_y f(x)[y]; loss = cross-entropy of p(y|x) + contrastive
divergence on E(x) with the paper's SGLD (20 steps, step 1, noise 0.01; buffer 10,000, 5%
restarted from uniform noise).

Launch:   jaxgen train --config experiments/jem_digits.py --workdir runs/jem_digits
Evaluate: jaxgen eval --workdir runs/jem_digits
Measured (seed 0, 5,000 steps, 11.5 min on 2 shared CPU cores): test accuracy 0.997 (validation
0.980); 1,000 samples (buffer chains, 20 more steps) of 10 of 10 classes, 6.7-13.1% each,
digits-FID 0.74, P/R 0.85/0.65. 9s held out (data.exclude_labels=(9,)): anomaly_auroc 0.984.
"""

import _ebm_base
from jaxgen.core.config import reproduce


def get_config(arg=None):
  config = _ebm_base.get_config(arg)
  config.description = "JEM, conv classifier (32, 64; 128), SGLD 20 steps + replay buffer, digits"
  config.model.energy = "jem"
  reproduce(config, ('accuracy >= 0.95', 'num_classes_generated == 10'),
            source='issue #35 floor', paper='Grathwohl et al. 2020, Your Classifier is Secretly '
            'an Energy Based Model', protocol='300 test images; 1,000 samples from the buffer',
            compute='2 CPU cores')
  return config
