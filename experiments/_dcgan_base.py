"""DCGAN's recipe (Radford et al. 2016) on the GAN base, at 8x8 digits: transposed 5x5
convolutions with batch norm in G, strided 5x5 convolutions with leaky ReLU 0.2 and batch norm in
D, 100-d noise, non-saturating loss, Adam 2e-4 (beta1 0.5), batch 64, digits-classifier metrics.
Every DCGAN experiment starts from it."""

import _gan_base


def get_config(arg=None):
  config = _gan_base.get_config(arg)
  config.data.name = "digits"
  config.data.scale = "-1_1"

  config.model.generator = "dcgan"
  config.model.discriminator = "dcgan"
  config.model.latent_dim = 100
  config.model.g_norm = "batch"
  config.model.d_norm = "batch"
  config.model.features = 64
  config.model.kernel_size = 5
  config.model.pack = 1

  config.loss.name = "non_saturating"
  config.loss.r1_weight = 0.0  # DCGAN's recipe has no penalty (and D's batch norm forbids one)
  config.optimizer.learning_rate = 2e-4
  config.optimizer.b1 = 0.5
  config.optimizer.schedule = "constant"
  config.d_optimizer = config.optimizer.copy_and_resolve_references()

  config.eval.fid_extractor = "digits"  # "" skips the image metrics.
  config.eval.batch_size = 500
  if arg == "smoke":
    config.eval.batch_size = 64
    config.eval.num_image_samples = 256
  else:
    config.train.num_steps = 3000
    config.train.batch_size = 64
    config.log_every = 100
    config.eval_every = 1000
    config.checkpoint_every = 1000
  return config
