"""WGAN-GP (Gulrajani et al. 2017) on grid25 with PacGAN's networks.

The paper's toy settings (gan_toy.py): lambda 0.1, 5 critic iterations of 100 points, Adam 1e-4
with betas (0.5, 0.9).

Launch:   jaxgen train --config experiments/wgan_gp_grid25.py --workdir runs/wgan_gp_grid25
Evaluate: jaxgen eval --workdir runs/wgan_gp_grid25
Expected (seed 0, 20,000 steps, ~55 min on one CPU core): 25/25 modes, high_quality_frac 0.673,
mmd2 -0.0001 (2,500 samples). The paper shows this toy as pictures only.
"""

import _gan_base
from jaxgen.core.config import reproduce


def get_config(arg=None):
  config = _gan_base.get_config(arg)
  config.description = "WGAN-GP on grid25 (lambda 0.1, 5 critic iterations), PacGAN's networks"
  config.loss.name = "wgan_gp"
  config.loss.gp_weight = 0.1
  config.loss.r1_weight = 0.0  # the gradient penalty is WGAN-GP's only regulariser
  config.model.pack = 1
  config.train.n_critic = 5
  config.train.batch_size = 5 * (20 if arg == "smoke" else 100)
  # As measured (gan_grid25 before it dropped G's batch norm and doubled its steps).
  config.model.g_norm = "batch"
  if arg != "smoke":
    config.train.num_steps = 20000
  for optimizer in (config.optimizer, config.d_optimizer):
    optimizer.learning_rate = 1e-4
    optimizer.b1 = 0.5
    optimizer.b2 = 0.9
    optimizer.schedule = "constant"
  reproduce(config, ('modes_captured >= 20',),
            source='jaxgen baseline',
            protocol='2,500 samples',
            compute='about 55 min on one CPU core (5 critic updates per step: ~6 steps/s)')
  return config
