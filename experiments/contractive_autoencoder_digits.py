"""Contractive autoencoder (Rifai et al. 2011) on digits: penalty on ||df/dx||_F^2 of the encoder.

Launch: jaxgen train --config experiments/contractive_autoencoder_digits.py --workdir runs/cae_digits
Expected: a smaller encoder Jacobian than the plain autoencoder at a similar recon_mse.
"""

import autoencoder_digits


def get_config(arg=None):
  config = autoencoder_digits.get_config(arg)
  config.description = "Contractive MLP autoencoder, Jacobian penalty 0.01"
  config.model.code_activation = "sigmoid"
  config.loss.contractive_weight = 0.01
  return config
