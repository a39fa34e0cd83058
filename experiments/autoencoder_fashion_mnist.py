"""Convolutional autoencoder on Fashion-MNIST (28x28, 256 levels): reconstruction.

Encoder 28 -> 14 -> 7 (32, 64 channels) -> 32-d code, the decoder its mirror, MSE, Adam 1e-3
cosine, batch 128, 10,000 steps (~23 epochs of the 55,000 train images; 2.2 steps/s measured on
2 CPU cores shared with another run).

Launch:   jaxgen train --config experiments/autoencoder_fashion_mnist.py --workdir runs/ae_fmnist
Evaluate: jaxgen eval --workdir runs/ae_fmnist
Data:     fashion_mnist (Debian's dataset-fashion-mnist, read offline).
Expected: test recon_mse, in the Fashion-MNIST comparison (docs/results.md); no target.
"""

import _autoencoder_base


def get_config(arg=None):
  config = _autoencoder_base.get_config(arg)
  config.description = "Conv autoencoder (32, 64), latent 32, MSE, Fashion-MNIST"
  config.data.name = "fashion_mnist"
  config.data.exclude_labels = ()  # every class (`jaxgen one-class` excludes all but one)
  config.model.name = "conv"
  config.model.features = (32, 64)
  config.model.latent_dim = 32
  if arg != "smoke":
    config.train.num_steps = 10_000
    config.eval_every = 2000
    config.checkpoint_every = 2000
  return config
