"""WGAN-GP (Gulrajani et al. 2017) on grid25, with PacGAN's networks.

Launch:   jaxgen train --config experiments/wgan_gp_grid25.py --workdir runs/wgan_gp_grid25
Evaluate: jaxgen eval --workdir runs/wgan_gp_grid25

Gulrajani et al.'s toy settings (their gan_toy.py on 25 Gaussians): Wasserstein loss with the
gradient penalty at lambda = 0.1 ("smaller lambda seems to help for toy tasks"), 5 critic
iterations per generator iteration, each on its own batch of 100 real points (train.batch_size
500 = 5 x 100), Adam 1e-4 with betas (0.5, 0.9). Networks as gan_grid25.py (no packing); the
maxout critic has no batch norm, as the penalty requires.
Expected: see config.reproduce (`jaxgen reproduce --list`) and the README's results table.
"""

import gan_grid25
from jaxgen.core.config import reproduce


def get_config(arg=None):
  config = gan_grid25.get_config(arg)
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
