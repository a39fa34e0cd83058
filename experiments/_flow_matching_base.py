"""The flow-matching family's shared config: conditional flow matching on the optimal-transport
path with the velocity target (Lipman et al. 2023; rectified flow, Liu et al. 2023) on the
DDPM U-Net sized for 8x8 digits (_ddpm_base.py's: ch 32, multipliers (1, 2), attention at 4x4),
sampled by 10-step DPM-Solver++(2M). Every flow-matching experiment starts from it."""

import ml_collections

import _ddpm_base


def get_config(arg=None):
  config = _ddpm_base.get_config(arg)  # the same networks, optimizer and evaluation budget
  config.family = "flow_matching"
  del config.diffusion
  config.data.dequantize = True  # uniform dequantization, as the flows: bits/dim are comparable

  config.path = ml_collections.ConfigDict()
  config.path.name = "ot"  # ot | vp | ve | package.module:function
  config.path.t_min = 0.0  # vp: 1e-3 (sigma vanishes at 0)
  config.path.sigma_min = 0.0  # ot: the noise left at t = 0; ve: sigma at t = 0
  config.path.sigma_max = 16.0  # ve: sigma at t = 1 (the data's largest pairwise distance)
  config.path.beta_min = 0.1  # vp
  config.path.beta_max = 20.0  # vp
  config.parameterisation = "velocity"  # velocity | epsilon | x0 | v

  config.loss = ml_collections.ConfigDict()
  config.loss.name = "mse"
  config.loss.weighting = "uniform"

  config.sample = ml_collections.ConfigDict()
  # euler | heun | dpmpp_2m | dopri5 | euler_maruyama | pc (the last two: vp, ve)
  config.sample.sampler = "dpmpp_2m"
  config.sample.num_steps = 10
  config.sample.guidance_scale = 0.0  # conditional: w of classifier-free guidance
  config.sample.max_noise_ratio = 80.0  # heun, dpmpp_2m: Karras et al.'s sigma_max
  config.sample.snr = 0.16  # pc: the Langevin corrector's signal-to-noise ratio
  config.sample.rtol = 1e-5  # dopri5
  config.sample.atol = 1e-5
  config.sample.max_steps = 4096
  config.sample.with_noise = False  # `jaxgen sample` also writes each draw's z: reflow's pairs

  config.reflow = ml_collections.ConfigDict()
  config.reflow.pairs = ""  # an .npz of (noise, samples) to train on instead of (data, fresh noise)
  config.reflow.time_grid = 0  # k > 0: distil for k Euler steps, t in {1/k, ..., 1}

  del config.eval.fid_vs_steps, config.eval.fid_vs_steps_etas
  del config.eval.fid_vs_steps_ancestral, config.eval.fid_vs_steps_samples
  del config.eval.bits_per_dim, config.eval.bound_chunk, config.eval.ode_likelihood
  del config.eval.ode_t_min, config.eval.ode_rtol, config.eval.ode_atol
  # (sampler, steps) rows of fid_vs_nfe; dopri5's steps are unused
  config.eval.fid_vs_nfe = (("euler", 10), ("euler", 50), ("heun", 5), ("heun", 10),
                            ("dpmpp_2m", 5), ("dpmpp_2m", 10), ("dpmpp_2m", 20), ("dopri5", 0))
  config.eval.fid_vs_nfe_samples = 1000
  config.eval.likelihood = True  # the probability-flow ODE's log-likelihood of each test example
  config.eval.likelihood_rtol = 1e-5  # Song et al.'s tolerances
  config.eval.likelihood_atol = 1e-5
  if arg == "smoke":
    config.eval.fid_vs_nfe = (("euler", 2), ("dopri5", 0))
    config.eval.fid_vs_nfe_samples = 64
    config.eval.likelihood_rtol = config.eval.likelihood_atol = 1e-3
    config.sample.num_steps = 4
    config.sample.rtol = config.sample.atol = 1e-3
  return config
