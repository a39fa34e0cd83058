"""The VAE family's shared config: an MLP VAE (Gaussian encoder, Bernoulli decoder, latent 8) on
binarized 8x8 digits, trained on the ELBO. Every VAE experiment starts from it."""

import ml_collections

from jaxgen.core.config import base_config, smoke


def get_config(arg=None):
  config = base_config()
  config.family = "vae"

  config.data.name = "binarized_digits"
  config.data.scale = "0_1"

  config.model.name = "mlp"  # mlp | conv
  config.model.hidden = (256, 128)  # encoder widths; the decoder mirrors them. () is linear.
  config.model.features = (32, 64)  # conv only: channels of the stride-2 layers.
  config.model.latent_dim = 8
  # bernoulli | gaussian | discretized_logistic | package.module:function
  config.model.decoder = "bernoulli"
  config.model.scale = "none"  # none (bernoulli) | network | fixed | shared | per_pixel
  config.model.scale_value = 1.0  # the fixed scale, or the initial one of a learned scale
  config.model.min_log_scale = -7.0

  config.loss.name = "elbo"  # elbo | beta_elbo | iwae | package.module:function
  config.loss.num_samples = 1  # posterior samples per example (iwae's k)
  config.loss.beta = 1.0  # beta_elbo only
  config.loss.kl_warmup_steps = 0  # linear KL annealing from 0 to 1; 0: off
  config.loss.free_bits = 0.0  # nats per latent unit (Kingma et al. 2016); 0: off

  config.train.num_steps = 6000
  config.train.batch_size = 128
  config.optimizer.learning_rate = 1e-3
  config.optimizer.schedule = "cosine"
  config.optimizer.warmup_steps = 100

  config.eval.num_importance_samples = 1000  # IWAE bound of nll_iwae (Burda et al. use 5000)
  config.eval.importance_chunk = 100  # samples decoded at once in evaluation
  config.eval.fid_extractor = "digits"  # FID/KID of samples in these features; "": off
  config.eval.fid_reference = "digits"  # ... against this dataset's train split
  config.eval.num_image_samples = 1000
  config.eval.ppca_loglik = False  # points data: report sklearn's PPCA held-out log-likelihood

  config.sample = ml_collections.ConfigDict()
  config.sample.temperature = 1.0  # z ~ N(0, T^2 I)
  config.sample.decoder_mean = True  # show the mean of p(x|z); False draws x ~ p(x|z)
  config.sample.noise = "masking"  # corruption shown with its denoising in sample grids
  config.sample.noise_level = 0.25

  config.log_every = 100
  config.eval_every = 1000
  config.checkpoint_every = 1000
  if arg == "smoke":
    smoke(config)
    config.eval.num_importance_samples = 20
    config.eval.importance_chunk = 10
    config.eval.num_image_samples = 200
  return config
