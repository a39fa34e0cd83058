"""Linear VAE on probabilistic-PCA data: it reaches the PPCA maximum likelihood.

d = 20, q = 4; a linear Gaussian decoder with one learned variance (Tipping & Bishop 1999;
Lucas et al. 2019).

Launch:   jaxgen train --config experiments/linear_vae_ppca.py --workdir runs/linear_vae_ppca
Evaluate: jaxgen eval --workdir runs/linear_vae_ppca
Expected (seed 0, 6,000 steps, ~1 min on 2 CPU cores): test elbo -20.696 against ppca_loglik
-20.695 (scikit-learn PCA(4).score), nll_iwae 20.695 (seeds 0-2: 20.6949 +- 0.0004),
true_loglik -20.692; nats per example on 5,000 test points.
"""

import _vae_base
from jaxgen.core.config import reproduce


def get_config(arg=None):
  config = _vae_base.get_config(arg)
  config.description = "Linear VAE (linear encoder and decoder, shared variance) on PPCA data"
  config.data.name = "ppca"
  config.model.hidden = ()
  config.model.latent_dim = 4
  config.model.decoder = "gaussian"
  config.model.scale = "shared"
  # A linear model: large steps converge faster. Clipping keeps the first steps, whose gradients
  # reach 1e5 on some seeds (seed 2), from collapsing a latent dimension the run then cannot regain.
  config.optimizer.learning_rate = 3e-2
  config.optimizer.grad_clip_norm = 1.0
  config.eval.ppca_loglik = True
  config.eval.fid_extractor = ""
  config.sample.decoder_mean = False  # x = Wz + b + noise: draws from the model, as the data are.
  config.sample.noise = ""
  reproduce(config, ('nll_iwae ~= 20.695 +- 0.05',),
            source='PPCA maximum likelihood (Tipping & Bishop 1999), sklearn PCA.score',
            paper='20.695',
            protocol='5,000 test points, IWAE k=1000',
            compute='1 min on 2 CPU cores')
  return config
