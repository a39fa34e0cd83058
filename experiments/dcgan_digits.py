"""DCGAN (Radford et al. 2016) on scikit-learn's 8x8 digits, scored by the digits classifier.

Launch:   jaxgen train --config experiments/dcgan_digits.py --workdir runs/dcgan_digits
Evaluate: jaxgen eval --workdir runs/dcgan_digits

DCGAN's recipe at 8x8: generator z (100-d) -> 2x2x128 -> 4x4x64 -> 8x8x1 (transposed 5x5
convolutions, batch norm, ReLU, tanh output on [-1, 1] data); discriminator 8x8 -> 4x4x64 -> 2x2x128
(5x5 stride-2 convolutions, leaky ReLU 0.2, batch norm after the first) -> 1; non-saturating loss;
Adam 2e-4, beta1 0.5. Evaluation on 10,000 samples: digits-classifier FID / KID / precision /
recall against the train split and the classifier's histogram of generated classes.
Expected (seed 0, 3,000 steps, 8 min with evaluation on 2 shared CPU cores): 10 of 10 classes, each
7.6-12.6% of 10,000 samples; digits-FID 1.95, KID 0.074, precision 0.35, recall 0.91.
Targets: config.reproduce (`jaxgen reproduce --list`); the README's results table.
"""

import gan_grid25
from jaxgen.core.config import reproduce


def get_config(arg=None):
  config = gan_grid25.get_config(arg)
  config.description = "DCGAN on 8x8 digits, non-saturating loss"
  config.data.name = "digits"
  config.data.scale = "-1_1"

  config.model.generator = "dcgan"
  config.model.discriminator = "dcgan"
  config.model.latent_dim = 100
  config.model.g_norm = "batch"
  config.model.d_norm = "batch"
  config.model.features = 64
  config.model.kernel_size = 5
  config.model.pack = 1

  config.loss.name = "non_saturating"
  config.loss.r1_weight = 0.0  # DCGAN's recipe has no penalty (and D's batch norm forbids one)
  config.optimizer.learning_rate = 2e-4
  config.optimizer.b1 = 0.5
  config.optimizer.schedule = "constant"
  config.d_optimizer = config.optimizer.copy_and_resolve_references()

  config.eval.fid_extractor = "digits"  # "" skips the image metrics.
  config.eval.batch_size = 500
  if arg == "smoke":
    config.eval.batch_size = 64
    config.eval.num_image_samples = 256
  else:
    config.train.num_steps = 3000
    config.train.batch_size = 64
    config.log_every = 100
    config.eval_every = 1000
    config.checkpoint_every = 1000
  reproduce(config, ('num_classes_generated == 10', 'min_class_frac >= 0.05', 'max_class_frac <= 0.15'),
            source='issue #5 floor',
            protocol='10,000 samples, digits classifier; FID/KID vs the train split',
            compute='minutes on 2 CPU cores')
  return config
