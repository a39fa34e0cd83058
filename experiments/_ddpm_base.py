"""The diffusion family's shared config: DDPM (Ho et al. 2020: linear betas 1e-4 -> 0.02, T = 1000,
epsilon prediction, L_simple, EMA, dropout 0.1) with a U-Net sized for 8x8 digits (ch 32,
multipliers (1, 2), attention at 4x4; 0.7M parameters). Every diffusion experiment starts from
it."""

import ml_collections

from jaxgen.core.config import base_config, smoke


def get_config(arg=None):
  config = base_config()
  config.family = "diffusion"

  config.data.name = "digits"
  config.data.scale = "-1_1"

  config.diffusion = ml_collections.ConfigDict()
  config.diffusion.schedule = "linear"  # linear | cosine | package.module:function (T -> betas)
  config.diffusion.num_timesteps = 1000
  config.diffusion.parameterisation = "epsilon"  # epsilon | x0 | v
  # small (beta~_t) | large (beta_t) | learned (loss hybrid/vlb)
  config.diffusion.variance = "small"

  config.model.name = "unet"  # unet | mlp
  config.model.ch = 32
  config.model.ch_mult = (1, 2)
  config.model.num_res_blocks = 1
  config.model.attn_resolutions = (4,)
  config.model.dropout = 0.1
  config.model.num_groups = 8  # GroupNorm groups (Ho et al.: 32)
  config.model.width = 256  # mlp only
  config.model.num_blocks = 4  # mlp only: residual blocks
  config.model.class_conditional = False
  config.model.label_dropout = 0.1  # conditional: p of the null label (classifier-free guidance)

  config.loss.name = "simple"  # simple | vlb | hybrid | package.module:function
  config.loss.weighting = "uniform"  # uniform | min_snr
  config.loss.snr_gamma = 5.0  # min_snr only
  config.loss.vlb_weight = 0.001  # hybrid: lambda (Nichol & Dhariwal)

  config.train.num_steps = 3500
  config.train.batch_size = 64
  config.train.ema_decay = 0.999
  config.optimizer.learning_rate = 1e-3
  config.optimizer.warmup_steps = 200
  config.optimizer.schedule = "cosine"
  config.optimizer.grad_clip_norm = 1.0

  config.sample = ml_collections.ConfigDict()
  # The main sample metrics use 50-step DDIM: 10,000 ancestral samples of 1000 steps take hours on
  # a CPU; fid_vs_steps compares the two.
  config.sample.sampler = "ddim"  # ancestral (all T steps) | ddim
  config.sample.num_steps = 50  # ddim only
  # ddim: which num_steps of the T indices (diffusers' names): leading i T//S | trailing | linspace
  config.sample.timestep_spacing = "leading"
  # ddim: 0 deterministic, 1 = DDPM's beta~ noise. 1: at 50 steps on digits, FID 0.69 against
  # eta 0's 1.45 and 1000-step ancestral's 0.81 (fid_vs_steps, 500 samples).
  config.sample.eta = 1.0
  config.sample.guidance_scale = 0.0  # conditional: w of classifier-free guidance
  config.sample.clip_denoised = True  # clip the predicted x_0 to [-1, 1] while sampling

  config.eval.batch_size = 1000
  config.eval.num_samples = 100  # the sample grid at each eval
  config.eval.num_image_samples = 10_000
  config.eval.num_mode_samples = 2500  # points
  config.eval.fid_extractor = "digits"  # digits | inception | "" (no sample metrics)
  config.eval.fid_vs_steps = (10, 20, 50, 100)  # DDIM steps of fid_ddim<N>_eta<e>; () skips
  # DDIM etas of those rows (1000 steps at eta 1 = ancestral)
  config.eval.fid_vs_steps_etas = (0.0, 1.0)
  config.eval.fid_vs_steps_ancestral = True  # also fid_ancestral<T>
  config.eval.fid_vs_steps_samples = 1000  # samples per fid_vs_steps entry
  config.eval.bits_per_dim = True  # the T-term bound: T network passes per test image
  config.eval.bound_chunk = 100  # timesteps of the bound evaluated at once (divides T)
  # the probability-flow ODE's bits/dim of dequantized test images (Song et al. 2021), tolerances
  config.eval.ode_likelihood = False
  config.eval.ode_t_min = 1e-5
  config.eval.ode_rtol = 1e-5
  config.eval.ode_atol = 1e-5

  config.log_every = 250
  config.eval_every = 1000
  config.checkpoint_every = 1000
  if arg == "smoke":
    smoke(config)
    config.diffusion.num_timesteps = 50
    config.sample.num_steps = 10  # DDIM steps: the smoke runs' samples are checked, not judged
    config.model.ch = 16
    config.model.ch_mult = (1,)  # one resolution keeps the compiles short
    config.model.num_groups = 4
    config.eval.num_samples = 8
    config.eval.num_image_samples = 64
    config.eval.fid_vs_steps = (5,)
    config.eval.fid_vs_steps_etas = (1.0,)
    config.eval.fid_vs_steps_ancestral = False
    config.eval.fid_vs_steps_samples = 64
    config.eval.bound_chunk = 10
  return config
