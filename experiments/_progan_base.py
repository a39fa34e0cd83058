"""ProGAN's shared config (Karras et al. 2018; jaxgen/families/progan), scaled to 2 CPU cores:
Fashion-MNIST padded to 32x32 (4 -> 8 -> 16 -> 32), 128-d z, channels min(1024 / resolution,
128) where the paper has 512; the paper's WGAN-GP (gamma 10, n_critic 1) with drift 0.001, Adam
0.001 (0, 0.99), EMA of G 0.999, minibatch stddev groups of 4. Growth: 375 steps at 4x4, then per
stage 375 steps of fade-in and 375 stable (12k images each; the paper: 800k); the last stage has
faded in at step 2,250 of 3,000 (``model.grow=False``: the full networks from step 0). Every
ProGAN experiment starts from it."""

from jaxgen.core.config import base_config, smoke


def get_config(arg=None):
  config = base_config()
  config.family = "progan"
  config.data.name = "fashion_mnist"
  config.data.scale = "-1_1"

  config.model.z_dim = 128
  config.model.channel_base = 1024  # channels at resolution r: min(channel_base / r, channel_max)
  config.model.channel_max = 128
  config.model.mbstd_group_size = 4
  # jaxgen/nn/conv.py: auto (im2col on the CPU, where XLA's convolutions inside the step's
  # lax.switch over stages are many times slower) | im2col | xla.
  config.model.conv = "auto"
  config.model.grow = True
  config.model.stable_steps = 375
  config.model.fade_steps = 375

  config.loss.name = "wgan_gp"
  config.loss.gp_weight = 10.0
  config.loss.drift = 0.001  # epsilon_drift: keeps D(x) near 0

  config.train.num_steps = 3000
  config.train.batch_size = 32
  config.train.ema_decay = 0.999
  config.optimizer.learning_rate = 0.001
  config.optimizer.b1 = 0.0
  config.optimizer.b2 = 0.99
  config.d_optimizer = config.optimizer.copy_and_resolve_references()

  config.eval.batch_size = 500
  config.eval.num_image_samples = 10000
  config.eval.fid_extractor = "fashion_mnist"
  config.log_every = 100
  config.eval_every = 1000
  config.checkpoint_every = 1000
  if arg == "smoke":
    smoke(config)
    config.model.stable_steps = 2  # every stage within the 12 steps: faded in at step 9
    config.model.fade_steps = 1
    config.eval.num_image_samples = 256
  return config
