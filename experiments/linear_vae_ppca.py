"""Linear VAE on data from a probabilistic PCA model: it reaches the PPCA maximum likelihood.

A VAE with a linear Gaussian decoder p(x|z) = N(Wz + b, sigma^2 I) (one learned variance) and a
linear diagonal-Gaussian encoder has the ELBO of probabilistic PCA at its optimum (Tipping &
Bishop 1999; Lucas et al. 2019, "Don't Blame the ELBO!"). The data (jaxgen.data.synthetic ``ppca``):
d = 20, q = 4, 10,000 train / 5,000 test points.

Launch:   jaxgen train --config experiments/linear_vae_ppca.py --workdir runs/linear_vae_ppca
Evaluate: jaxgen eval --workdir runs/linear_vae_ppca
Expected: test elbo within 1% of ppca_loglik (scikit-learn's PCA(n_components=4).fit(train)
.score(test), the held-out log-likelihood of the maximum-likelihood PPCA), both in nats per
example; true_loglik is the generating model's. Measured (seed 0, 6,000 steps, ~1 min on 2 busy
CPU cores): elbo -20.708, ppca_loglik -20.695 (0.06% apart), nll_iwae 20.695, true_loglik -20.692.
"""

import vae_binarized_digits
from jaxgen.core.config import reproduce


def get_config(arg=None):
  config = vae_binarized_digits.get_config(arg)
  config.description = "Linear VAE (linear encoder and decoder, shared variance) on PPCA data"
  config.data.name = "ppca"
  config.model.hidden = ()
  config.model.latent_dim = 4
  config.model.decoder = "gaussian"
  config.model.scale = "shared"
  config.optimizer.learning_rate = 3e-2  # a linear model: large steps are stable and converge faster
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
