"""StyleGAN2's shared config (Karras et al. 2020; jaxgen/families/stylegan), scaled to 2 CPU
cores: 128-d z and w, a 4-layer mapping network (the paper's 8 x 512), channels
min(1024 / resolution, 128); the paper's style mixing 0.9, lazy R1 every 16 steps, path length
(weight 2, every 4 steps, half batch), Adam (0, 0.99) corrected for the lazy steps, EMA of G;
learning rate 0.0025 as StyleGAN2-ADA's CIFAR-10 setup. R1 gamma 1 where that setup has 0.01: on
8x8 digits (3,000 steps) gamma 0.01 collapsed (digits-FID 44, 8 classes), 0.3 / 1 / 3 gave
4.7 / 3.9 / 3.5; on Fashion-MNIST 0.1 / 1 / 10 were alike after 500 steps (FID 70-73). Every
StyleGAN experiment starts from it."""

import ml_collections

from jaxgen.core.config import base_config, smoke


def get_config(arg=None):
  config = base_config()
  config.family = "stylegan"
  config.data.name = "fashion_mnist"
  config.data.scale = "-1_1"

  config.model.z_dim = 128
  config.model.w_dim = 128
  config.model.mapping_layers = 4
  config.model.mapping_lr_multiplier = 0.01
  config.model.channel_base = 1024  # channels at resolution r: min(channel_base / r, channel_max)
  config.model.channel_max = 128
  config.model.mbstd_group_size = 4
  config.model.mbstd_channels = 1
  config.model.style_mixing_prob = 0.9
  config.model.w_avg_beta = 0.995  # w_avg <- beta w_avg + (1 - beta) mean(w), each step
  # Convolutions (jaxgen/nn/conv.py: auto, im2col on the CPU | im2col | xla) of the main steps and
  # of the lazy regularisation steps in lax.cond, where XLA:CPU's are ~40x slower (experiment.py).
  config.model.conv = "xla"
  config.model.lazy_conv = "auto"

  config.loss.name = "non_saturating"
  config.loss.r1_gamma = 1.0  # 0: no R1
  config.loss.r1_interval = 16
  config.loss.pl_weight = 2.0  # 0: no path-length regularisation
  config.loss.pl_interval = 4
  config.loss.pl_decay = 0.01
  config.loss.pl_batch_shrink = 2

  config.train.batch_size = 32
  config.train.ema_decay = 0.999
  config.optimizer.learning_rate = 0.0025
  config.optimizer.b1 = 0.0
  config.optimizer.b2 = 0.99
  config.d_optimizer = config.optimizer.copy_and_resolve_references()

  config.sample = ml_collections.ConfigDict()
  config.sample.truncation_psi = 1.0
  config.eval.truncation_sweep = (0.7, 0.5)  # evaluate: sample metrics at these psi too
  config.eval.batch_size = 500
  config.eval.num_image_samples = 10000
  config.eval.fid_extractor = "fashion_mnist"
  config.log_every = 100
  config.eval_every = 1000
  config.checkpoint_every = 1000
  if arg == "smoke":
    smoke(config)
    config.eval.num_image_samples = 256
    config.eval.truncation_sweep = (0.5,)
  return config
