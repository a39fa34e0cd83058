"""VAE (Kingma & Welling 2014) on binarized 8x8 digits: MLP Gaussian encoder, Bernoulli decoder.

Launch:   jaxgen train --config experiments/vae_binarized_digits.py --workdir runs/vae_bin_digits
Evaluate: jaxgen eval --workdir runs/vae_bin_digits
Expected (seed 0, 6,000 steps, ~1 min on 2 CPU cores): test nll_iwae (k=1000) 16.28 nats,
elbo -17.90, kl 7.70, 8/8 active units, digits-FID of samples 1.74.
Binary samples: jaxgen sample --workdir W --num 5000 --out x.npz --config.sample.decoder_mean=False
"""

import _vae_base
from jaxgen.core.config import reproduce


def get_config(arg=None):
  config = _vae_base.get_config(arg)
  config.description = "MLP VAE, latent 8, Bernoulli decoder, ELBO"
  reproduce(config, ('nll_iwae <= 17.0',),
            source='jaxgen baseline',
            protocol='IWAE bound, k=1000, 300 test digits',
            compute='1 min on 2 CPU cores')
  return config
