"""The flows family's shared config: RealNVP (Dinh et al. 2017) on two moons, 8 affine couplings
with actnorm and MLP 2x128 networks, 5,000 steps; the image fields are used by image data.
Every flow experiment starts from it."""

import ml_collections

from jaxgen.core.config import base_config, smoke


def get_config(arg=None):
  config = base_config()
  config.family = "flows"

  config.data.name = "moons"

  config.model.name = "realnvp"  # nice | realnvp | glow
  config.model.base = "normal"  # normal | logistic
  config.model.num_couplings = 8  # vectors and NICE: coupling layers
  config.model.hidden = (128, 128)  # vectors and NICE: MLP widths of each coupling network
  config.model.scale = "tanh"  # affine couplings: exp | tanh | sigmoid
  config.model.actnorm = True  # realnvp: an actnorm before each coupling
  config.model.coupling = "affine"  # glow: affine | additive | spline (see nsf_ring8.py)
  # spline couplings: rational-quadratic bins on [-tail_bound, tail_bound]
  config.model.num_bins = 8
  config.model.tail_bound = 3.0  # spline couplings: the identity outside
  config.model.permutation = "lu"  # glow: lu | conv (the invertible 1x1 convolution)
  config.model.steps_per_scale = 8  # glow: steps of flow (per scale for images)
  config.model.num_scales = 2  # images: scales of the multi-scale architecture
  config.model.features = 64  # images: channels of the coupling networks
  config.model.num_blocks = 2  # realnvp images: residual blocks per coupling network
  config.model.logit_alpha = 0.05  # realnvp images: logit preprocessing (0: none)
  config.model.learned_prior = True  # glow images: split priors N(mu(z1), sigma(z1))
  config.model.learn_top = True  # glow images: learned per-channel top prior

  config.loss.name = "nll"  # nll | bits_per_dim | package.module:function
  config.loss.dequantization = "uniform"  # images: uniform | variational
  config.loss.dequantizer_features = 32  # variational: channels of q(u | x)'s network

  config.train.num_steps = 5000
  config.train.batch_size = 256
  config.optimizer.learning_rate = 1e-3
  config.optimizer.schedule = "cosine"
  config.optimizer.warmup_steps = 200

  config.sample = ml_collections.ConfigDict()
  config.sample.temperature = 1.0  # `jaxgen sample` draws z from the base scaled by this

  config.eval.batch_size = 1000
  config.eval.num_samples = 2000  # the scatter plot at each eval
  config.eval.temperatures = (0.5, 0.7, 1.0)  # images: sample grids and FID at these
  config.eval.num_mode_samples = 2500  # mixtures: samples for mode coverage
  config.eval.fid_extractor = ""  # images: "digits", "inception" or "" (no FID)
  config.eval.num_image_samples = 2000

  config.log_every = 250
  config.eval_every = 2500
  config.checkpoint_every = 2500
  if arg == "smoke":
    smoke(config)
  return config
