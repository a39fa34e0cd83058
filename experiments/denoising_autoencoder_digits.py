"""Denoising autoencoder (Vincent et al. 2008) on digits: Gaussian noise of std 0.3 on the input.

Launch:   jaxgen train --config experiments/denoising_autoencoder_digits.py --workdir runs/dae
Evaluate: jaxgen eval --workdir runs/dae
Masking noise instead: --config.loss.noise=masking --config.loss.noise_level=0.25
Expected (seed 0, 3,000 steps): denoise_psnr 17.6 dB against 10.5 dB for the noisy input,
recon_mse 0.0106, anomaly_auroc 0.986.
"""

import _autoencoder_base
from jaxgen.core.config import reproduce


def get_config(arg=None):
  config = _autoencoder_base.get_config(arg)
  config.description = "Denoising MLP autoencoder, Gaussian input noise 0.3"
  config.loss.noise = "gaussian"
  config.loss.noise_level = 0.3
  reproduce(config, ('denoise_psnr >= 16.0',),
            source='jaxgen baseline (noisy input: 10.5 dB)',
            protocol='300 test digits, Gaussian noise std 0.3',
            compute='30 s on 2 CPU cores')
  return config
