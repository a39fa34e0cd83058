"""The vqvae family's shared config: a VQ-VAE (van den Oord et al. 2017) with an EMA codebook and
a discretized-logistic decoder over the data's levels, then an autoregressive prior over its code
maps (a Gated PixelCNN or a Transformer), one run of two stages (model.vqvae_steps, then the
prior for the rest)."""

import ml_collections

from jaxgen.core.config import base_config, smoke


def get_config(arg=None):
  config = base_config()
  config.family = "vqvae"
  config.data.scale = "0_1"

  config.model.features = (32,)  # stride-2 layers of the encoder (mirrored by the decoder)
  config.model.num_residual = 1  # residual blocks at the code resolution (the paper: 2)
  config.model.code_dim = 16  # D
  config.model.num_codes = 32  # K
  config.model.min_log_scale = -7.0  # floor of p(x|z_q)'s log-scale
  config.model.vqvae_steps = 2000  # stage 1; the prior trains for the remaining steps

  config.quantizer = ml_collections.ConfigDict()
  config.quantizer.commitment = 0.25  # beta
  config.quantizer.decay = 0.99  # of the codebook's EMA statistics
  config.quantizer.epsilon = 1e-5  # Laplace smoothing of the cluster sizes
  config.quantizer.restart_threshold = 1.0  # restart codes used less than once per batch (EMA)

  config.prior = ml_collections.ConfigDict()
  config.prior.name = "gated_pixelcnn"  # or "transformer"
  config.prior.features = 32  # p: the code embedding's and each stack's width (the Transformer's)
  config.prior.num_layers = 4
  config.prior.kernel_size = 3  # gated_pixelcnn
  config.prior.output_features = 64  # gated_pixelcnn: the hidden 1x1 output layer
  config.prior.num_heads = 4  # transformer
  config.prior.dropout = 0.2  # in every layer, training only (the PixelCNN digits configs)
  config.prior.conditional = False  # class-conditional on the dataset's labels

  config.loss.name = "vqvae"

  config.train.num_steps = 4000
  config.train.batch_size = 128
  config.optimizer.learning_rate = 1e-3
  config.optimizer.schedule = "cosine"  # within each stage
  config.optimizer.warmup_steps = 100

  config.eval.fid_extractor = "digits"  # sample metrics in these features; "": off
  config.eval.num_image_samples = 1000

  config.sample = ml_collections.ConfigDict()
  config.sample.temperature = 1.0  # of the prior's categoricals

  config.log_every = 100
  config.eval_every = 1000
  config.checkpoint_every = 1000
  if arg == "smoke":
    smoke(config)
    config.model.vqvae_steps = 6  # both stages run
    config.eval.num_image_samples = 64
  return config
