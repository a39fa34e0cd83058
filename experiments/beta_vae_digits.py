"""beta-VAE (Higgins et al. 2017) on 8x8 digits: the vae_digits model with beta = 4 on the KL.

Launch:   jaxgen train --config experiments/beta_vae_digits.py --workdir runs/beta_vae_digits
Evaluate: jaxgen eval --workdir runs/beta_vae_digits
Free bits (Kingma et al. 2016): add --config.loss.free_bits=0.5 (another workdir).
Expected (seed 0, 3,000 steps, ~1 min on 2 CPU cores): beta 4 collapses 13 of 16 units
(active_units 3, kl 2.08 nats, bits_per_dim_iwae 2.15; vae_digits: 16 units, 1.87); with free
bits 0.5 all 16 stay active (kl 8.02, bits_per_dim_iwae 1.91).
"""

import vae_digits
from jaxgen.core.config import reproduce


def get_config(arg=None):
  config = vae_digits.get_config(arg)
  config.description = "beta-VAE (beta 4), latent 16, discretized logistic over 17 levels"
  config.loss.name = "beta_elbo"
  config.loss.beta = 4.0
  reproduce(config, ('bits_per_dim_iwae <= 2.50',),
            source='jaxgen baseline',
            protocol='IWAE k=1000, dequantized 17 levels',
            compute='30 s on 2 CPU cores')
  return config
