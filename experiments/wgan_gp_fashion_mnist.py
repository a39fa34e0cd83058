"""WGAN-GP on Fashion-MNIST 28x28: dcgan_fashion_mnist's networks, D without batch norm.

Gulrajani et al.'s recipe: gradient penalty 10, 5 critic steps per generator step, Adam 1e-4
(beta1 0.5, beta2 0.9), batch 64 per critic step, 5,000 generator steps (0.44 steps/s measured
on 2 CPU cores shared with two other runs).

Launch:   jaxgen train --config experiments/wgan_gp_fashion_mnist.py --workdir runs/wgan_fmnist
Evaluate: jaxgen eval --workdir runs/wgan_fmnist
Data:     fashion_mnist (Debian's dataset-fashion-mnist, read offline).
Expected: all 10 classes, each 5-15% of 10,000 samples (issue #30); FMNIST-FID in the comparison.
"""

import dcgan_fashion_mnist
from jaxgen.core.config import reproduce


def get_config(arg=None):
  config = dcgan_fashion_mnist.get_config(arg)
  config.description = "WGAN-GP on Fashion-MNIST 28x28 (Gulrajani et al. 2017 recipe)"
  config.model.d_norm = "none"  # the penalty is per example: no batch statistics in D
  config.loss.name = "wgan_gp"
  config.loss.gp_weight = 10.0
  config.train.n_critic = 5
  for optimizer in (config.optimizer, config.d_optimizer):
    optimizer.learning_rate = 1e-4
    optimizer.b1 = 0.5
    optimizer.b2 = 0.9
  if arg == "smoke":
    config.train.batch_size = 5 * 8
  else:
    config.train.num_steps = 5000
    config.train.batch_size = 5 * 64  # one batch of 64 per critic step
    config.eval_every = 1000
    config.checkpoint_every = 1000
  return config
