"""DDPM (Ho et al. 2020) on scikit-learn's 8x8 digits: a small U-Net, L_simple, ancestral and DDIM
sampling; the diffusion base config (every ddpm_* config imports this one and overrides it).

Launch:   jaxgen train --config experiments/ddpm_digits.py --workdir runs/ddpm_digits
Evaluate: jaxgen eval --workdir runs/ddpm_digits   (also writes fid_vs_steps.{json,md,png})

Ho et al.'s recipe (linear betas 1e-4 -> 0.02, T = 1000, epsilon prediction, L_simple, fixed
small variances for sampling, EMA, dropout 0.1, Adam with warm-up) on a U-Net sized for 8x8:
ch 32, multipliers (1, 2) (8x8 and 4x4), 1 residual block per resolution, attention at 4x4
(0.7M parameters; a 2-core CPU runs ~1 ms per image per denoising step).
Evaluation: the variational bound over all 1000 terms in bits/dim of the 17-level data; digits-
classifier FID / KID / precision / recall / class histogram of 10,000 50-step DDIM samples against
the train split; FID against the number of sampling steps (DDIM 10 ... 100 at eta 0 and 1,
ancestral 1000) on 1,000 samples each.
Expected (seed 0, 3,500 steps, 18 min on 2 CPU cores shared with other jobs): train MSE 0.071;
bound_estimate 1.56 bits/dim at step 3,500 (the one-term unbiased estimate T L_t + L_T over the
300 test images, logged by eval_step). 10,000 DDIM-50 samples at eta 1 (the default): 10 of 10
classes, 9.2-10.9% each; digits-FID 0.34, KID 0.005, precision 0.70, recall 0.85 (at eta 0:
FID 1.01, KID 0.035, P 0.49, R 0.94; dcgan_digits: FID 1.95).
FID against sampling steps (500 samples each, the same x_T and noise):
  DDIM eta 0, 10 / 20 / 50 / 100 steps:  1.64 / 1.47 / 1.45 / 1.47
  DDIM eta 1, 10 / 20 / 50 / 100 steps:  1.06 / 0.96 / 0.69 / 0.69
  ancestral, 1000 steps:                 0.81
DDIM-50 at eta 1 is 16% below ancestral-1000 (the issue asks for within 25%); at eta 0 it is 79%
above: the deterministic sampler's FID stops improving after 20 steps, so the gap is the missing
noise, not the step count (eta 0.5: 0.94; eta 0 without clipping x_0: 1.91).
Measured with: jaxgen eval --workdir runs/ddpm_digits --config.eval.bits_per_dim=False
--config.eval.fid_vs_steps_samples=500 (all of it 36 min on one shared core). The full 1000-term
bits_per_dim was not measured: the bound over 300 images x 1000 timesteps ran >17 min at 13-15 GB
RSS on this machine.
"""

import ml_collections

from jaxgen.core.config import base_config, smoke, reproduce


def get_config(arg=None):
  config = base_config()
  config.family = "diffusion"
  config.description = "DDPM, U-Net ch 32 (1, 2), L_simple, T=1000 linear, 8x8 digits"

  config.data.name = "digits"
  config.data.scale = "-1_1"

  config.diffusion = ml_collections.ConfigDict()
  config.diffusion.schedule = "linear"  # linear | cosine | package.module:function (T -> betas)
  config.diffusion.num_timesteps = 1000
  config.diffusion.parameterisation = "epsilon"  # epsilon | x0 | v
  config.diffusion.variance = "small"  # small (beta~_t) | large (beta_t) | learned (loss hybrid/vlb)

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
  # ddim: 0 deterministic, 1 = DDPM's beta~ noise. 1: at 50 steps on digits, FID 0.69 against
  # eta 0's 1.45 and 1000-step ancestral's 0.81 (fid_vs_steps, 500 samples; see the docstring).
  config.sample.eta = 1.0
  config.sample.guidance_scale = 0.0  # conditional: w of classifier-free guidance
  config.sample.clip_denoised = True  # clip the predicted x_0 to [-1, 1] while sampling

  config.eval.batch_size = 1000
  config.eval.num_samples = 100  # the sample grid at each eval
  config.eval.num_image_samples = 10_000
  config.eval.num_mode_samples = 2500  # points
  config.eval.fid_extractor = "digits"  # digits | inception | "" (no sample metrics)
  config.eval.fid_vs_steps = (10, 20, 50, 100)  # DDIM steps of fid_ddim<N>_eta<e>; () skips
  config.eval.fid_vs_steps_etas = (0.0, 1.0)  # DDIM etas of those rows (1000 steps at eta 1 = ancestral)
  config.eval.fid_vs_steps_ancestral = True  # also fid_ancestral<T>
  config.eval.fid_vs_steps_samples = 1000  # samples per fid_vs_steps entry
  config.eval.bits_per_dim = True  # the T-term bound: T network passes per test image
  config.eval.bound_chunk = 100  # timesteps of the bound evaluated at once (divides T)

  config.log_every = 250
  config.eval_every = 1000
  config.checkpoint_every = 1000
  if arg == "smoke":
    smoke(config)
    config.diffusion.num_timesteps = 50
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
  reproduce(config, ('num_classes_generated == 10', 'min_class_frac >= 0.05', 'max_class_frac <= 0.15',
                     'fid <= 1.95'),
            source='issue #8 floor: all classes, and digits-FID no higher than dcgan_digits (1.95)',
            protocol='10,000 DDIM-50 samples (eta 1), digits classifier, FID vs train',
            compute='about 20 min training and 35 min evaluation on 2 CPU cores')
  return config
