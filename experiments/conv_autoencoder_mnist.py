"""Convolutional autoencoder on MNIST (TFDS), latent 32, BCE; 9s held out as anomalies.

Two stride-2 convolutions (28 -> 14 -> 7) on [0, 1] pixels.

Launch:   jaxgen train --config experiments/conv_autoencoder_mnist.py --workdir runs/conv_ae_mnist
Evaluate: jaxgen eval --workdir runs/conv_ae_mnist
Data:     mnist, prepared offline (README, "Real data").
Expected: recon_mse <= 0.010 (jaxgen baseline); not run here (needs the data).
"""

import _autoencoder_base
from jaxgen.core.config import reproduce


def get_config(arg=None):
  config = _autoencoder_base.get_config(arg)
  config.description = "Convolutional autoencoder on MNIST, latent 32, BCE"
  config.data.name = "mnist"
  config.model.name = "conv"
  config.model.features = (32, 64)
  config.model.latent_dim = 32
  config.loss.name = "bce"
  if arg != "smoke":
    config.train.num_steps = 10000
    config.eval_every = 2000
    config.checkpoint_every = 2000
  reproduce(config, ('recon_mse <= 0.010',),
            source='jaxgen baseline (not run here: needs TFDS MNIST)',
            protocol='MNIST test split',
            compute='minutes on a GPU')
  return config
