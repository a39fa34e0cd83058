"""The diffusion family: the forward process and the bound against float64 NumPy/SciPy
computations from the papers' formulas; samplers against each other; the U-Net's size; one
compile of the train step and one compiled program per sampler."""

import json
import math
import os

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from scipy import stats

from conftest import REPO, perturbed_params, train_inspectable
from jaxgen.core import config as config_lib
from jaxgen.errors import ConfigError, UnknownNameError
from jaxgen.families.diffusion import likelihood, losses, samplers
from jaxgen.families.diffusion.experiment import DiffusionExperiment
from jaxgen.families.diffusion.schedules import make_schedule

jax.config.update("jax_default_matmul_precision", "highest")


def load_config(name, *overrides):
  config = config_lib.load_config(os.path.join(REPO, "experiments", f"{name}.py"))
  config_lib.apply_overrides(config, list(overrides))
  return config


def toy_denoiser(x, t):
  """A smooth stand-in for a trained network: any function of (x_t, t) will do for identities
  that hold for every model."""
  scale = (0.5 + 0.4 * jnp.cos(t.astype(jnp.float32) / 7.0)).reshape((-1,) + (1,) * (x.ndim - 1))
  return jnp.tanh(scale * x) + 0.1 * jnp.sin(3.0 * x)


# -- the forward process --------------------------------------------------------------------------

@pytest.mark.parametrize("name", ["linear", "cosine"])
def test_schedule_matches_the_papers_formulas_in_float64(name):
  """alpha_bar, the posterior q(x_{t-1}|x_t,x_0) and SNR from Ho et al. eqs. 4, 6-7 (betas from
  Ho et al. Sec. 4 / Nichol & Dhariwal eq. 17), the posterior also by conditioning the joint
  Gaussian of (x_{t-1}, x_t) given x_0 directly."""
  T = 1000
  schedule = make_schedule(name, T)
  if name == "linear":
    betas = np.linspace(1e-4, 0.02, T)
  else:
    f = lambda t: math.cos((t / T + 0.008) / 1.008 * math.pi / 2) ** 2
    betas = np.array([min(1 - f(t + 1) / f(t), 0.999) for t in range(T)])
  alpha_bar = np.array([np.prod(1 - betas[:t + 1]) for t in range(T)])
  alpha_bar_prev = np.concatenate([[1.0], alpha_bar[:-1]])
  # Conditioning: Cov(x_{t-1}, x_t | x_0) = sqrt(1 - beta_t) (1 - alpha_bar_{t-1}).
  covariance = np.sqrt(1 - betas) * (1 - alpha_bar_prev)
  variance = (1 - alpha_bar_prev) - covariance**2 / (1 - alpha_bar)
  coef_x_t = covariance / (1 - alpha_bar)
  coef_x0 = np.sqrt(alpha_bar_prev) - coef_x_t * np.sqrt(alpha_bar)
  rtol = dict(rtol=2e-6, atol=0)
  np.testing.assert_allclose(schedule.betas, betas, **rtol)
  np.testing.assert_allclose(schedule.alphas_cumprod, alpha_bar, **rtol)
  np.testing.assert_allclose(schedule.posterior_mean_coef1, coef_x0, rtol=2e-6, atol=1e-9)
  np.testing.assert_allclose(schedule.posterior_mean_coef2, coef_x_t, **rtol)
  np.testing.assert_allclose(schedule.posterior_variance[1:], variance[1:], rtol=1e-5)
  np.testing.assert_allclose(schedule.posterior_log_variance_clipped,
                             np.log(np.concatenate([[variance[1]], variance[1:]])), rtol=1e-5)
  np.testing.assert_allclose(schedule.snr, alpha_bar / (1 - alpha_bar), rtol=1e-5)
  assert schedule.posterior_variance[0] == 0 and schedule.alphas_cumprod.dtype == np.float32


def test_q_sample_has_the_closed_form_mean_and_variance():
  """x_t ~ q(x_t | x_0) drawn 200,000 times: mean sqrt(alpha_bar_t) x_0, variance 1 - alpha_bar_t."""
  schedule = make_schedule("linear", 1000)
  x0 = jnp.array([0.7, -0.3])
  num = 200_000
  for t in (0, 100, 500, 999):
    noise = jax.random.normal(jax.random.PRNGKey(t), (num, 2))
    x_t = np.asarray(schedule.q_sample(jnp.broadcast_to(x0, (num, 2)), jnp.full((num,), t), noise),
                     np.float64)
    alpha_bar = float(np.prod(1 - np.linspace(1e-4, 0.02, 1000)[:t + 1]))
    variance = 1 - alpha_bar
    np.testing.assert_allclose(x_t.mean(0), math.sqrt(alpha_bar) * np.asarray(x0),
                               atol=5 * math.sqrt(variance / num))
    np.testing.assert_allclose(x_t.var(0), variance, rtol=5 * math.sqrt(2 / num))


def test_parameterisations_recover_x0_and_min_snr_weights_agree_in_x0_terms():
  """eps, x_0 and v targets each map back to x_0; min-SNR-gamma weighting of every
  parameterisation's MSE equals min(SNR, gamma) times the x_0 MSE (Hang et al. 2023)."""
  schedule = make_schedule("cosine", 100)
  keys = jax.random.split(jax.random.PRNGKey(0), 3)
  x0 = jax.random.normal(keys[0], (6, 4))
  noise = jax.random.normal(keys[1], (6, 4))
  t = jnp.array([0, 5, 20, 50, 80, 99])
  x_t = schedule.q_sample(x0, t, noise)
  x0_guess = x0 + 0.1 * jax.random.normal(keys[2], x0.shape)  # a wrong prediction of x_0
  snr = jnp.asarray(schedule.snr)[t]
  config = load_config("ddpm_digits").loss
  for name in ("epsilon", "x0", "v"):
    p = losses.PARAMETERISATIONS.get(name)
    np.testing.assert_allclose(p.to_x0(schedule, x_t, t, p.target(schedule, x0, t, noise)), x0,
                               atol=2e-3 if name == "epsilon" else 1e-5)
    # The prediction that implies x0_guess, as this parameterisation would output it:
    implied_eps = schedule.eps_from_x0(x_t, t, x0_guess)
    prediction = {"epsilon": implied_eps, "x0": x0_guess,
                  "v": schedule.v_target(x0_guess, t, implied_eps)}[name]
    inputs = losses.LossInputs(prediction, x0, x_t, t, noise, schedule, name, "small", 17)
    weighted = losses.WEIGHTINGS.get("min_snr")(inputs, config) * inputs.mse()
    x0_mse = jnp.mean(jnp.square(x0_guess - x0), axis=1)
    np.testing.assert_allclose(weighted, jnp.minimum(snr, 5.0) * x0_mse, rtol=2e-3)


def test_learned_variance_interpolates_between_the_two_fixed_ones():
  schedule = make_schedule("linear", 1000)
  t = jnp.array([0, 10, 999])
  x = jnp.zeros((3, 2))
  small, large = (losses.reverse_log_variance(schedule, t, kind, None, x) for kind in ("small", "large"))
  low = losses.reverse_log_variance(schedule, t, "learned", -jnp.ones_like(x), x)
  high = losses.reverse_log_variance(schedule, t, "learned", jnp.ones_like(x), x)
  np.testing.assert_allclose(low, small)
  np.testing.assert_allclose(high[1:], large[1:], rtol=1e-6)  # at t=0 "large" uses beta~_1, not beta_0
  np.testing.assert_allclose(high[0], np.log(schedule.betas[0]), rtol=1e-6)


# -- the variational bound ------------------------------------------------------------------------

def test_discretized_gaussian_is_a_distribution_over_the_levels():
  levels = np.linspace(-1, 1, 17)
  x = jnp.asarray(levels)[:, None]
  for mean, log_scale in ((0.2, -1.0), (-0.9, -3.0), (1.3, 0.5)):
    log_p = losses.discretized_gaussian_log_likelihood(x, mean, jnp.full_like(x, log_scale), 17)
    assert float(jnp.sum(jnp.exp(log_p))) == pytest.approx(1.0, abs=1e-5)
    # The inner bins against SciPy's normal CDF over [x - 1/16, x + 1/16].
    edges = stats.norm.cdf(levels[1:-1, None] + np.array([-1, 1]) / 16, mean, math.exp(log_scale))
    np.testing.assert_allclose(np.exp(np.asarray(log_p[1:-1, 0])),
                               np.maximum(edges[:, 1] - edges[:, 0], 1e-12), rtol=1e-4, atol=1e-7)


def test_discretized_gaussian_interior_bins_are_exact_in_both_tails():
  """Interior bins 4 to 7.5 standard deviations from the mean, where float32's Phi rounds to 1 (or
  0): against SciPy's float64 survival function. 1/255 with mean 1/255 - 0.06 and scale 0.01 is
  -18.405 nats (the plain CDF difference rounded it to the 1e-12 floor, -27.63)."""
  rng = np.random.default_rng(0)
  levels, half_width = 256, 1 / 255
  x = (rng.integers(1, 255, 4000) / 255 * 2 - 1).astype(np.float32)
  scale = rng.uniform(0.002, 0.02, 4000)
  offset = rng.choice([-1, 1], 4000) * rng.uniform(4, 7.5, 4000) * scale
  mean = (x - offset).astype(np.float32)
  log_p = losses.discretized_gaussian_log_likelihood(jnp.asarray(x), jnp.asarray(mean),
                                                     jnp.asarray(np.log(scale), jnp.float32), levels)
  upper, lower = (x - mean + half_width) / scale, (x - mean - half_width) / scale
  tails = np.where(lower > 0, stats.norm.sf(lower) - stats.norm.sf(upper),
                   stats.norm.cdf(upper) - stats.norm.cdf(lower))
  expected = np.log(np.maximum(tails, 1e-12))
  np.testing.assert_allclose(log_p, expected, rtol=1e-4, atol=1e-4)
  assert (expected > -27.6).sum() > 2000  # most of them above the floor
  one = losses.discretized_gaussian_log_likelihood(jnp.float32(1 / 255), jnp.float32(1 / 255 - 0.06),
                                                   jnp.log(jnp.float32(0.01)), levels)
  np.testing.assert_allclose(one, -18.4047, atol=1e-3)


@pytest.mark.parametrize("spacing,expected", [
    ("leading", lambda T, S: np.arange(0, S) * (T // S)),
    ("trailing", lambda T, S: np.round(np.arange(T, 0, -T / S))[::-1] - 1),
    ("linspace", lambda T, S: np.linspace(0, T - 1, S).round())])
def test_ddim_timestep_spacings_are_diffusers_definitions(spacing, expected):
  """diffusers' DDIMScheduler.set_timesteps (steps_offset 0), ascending; T = 1000, S = 30 does not
  divide: leading ends 957, 924 (S's floor(i T / S) would give 966)."""
  for T, S in ((1000, 30), (1000, 50), (1000, 7), (50, 5), (1000, 1000)):
    timesteps = samplers.ddim_timesteps(T, S, spacing)
    np.testing.assert_array_equal(timesteps, expected(T, S).astype(np.int64))
    assert len(np.unique(timesteps)) == S and timesteps.min() >= 0 and timesteps.max() <= T - 1
  np.testing.assert_array_equal(samplers.ddim_timesteps(1000, 30, "leading")[-2:][::-1], [957, 924])
  np.testing.assert_array_equal(samplers.ddim_timesteps(1000, 30, "trailing")[-3:][::-1], [999, 966, 932])


@pytest.mark.parametrize("variance", ["small", "large"])
def test_bound_terms_match_numpy_and_sum_to_the_bound(variance):
  """Every term of Ho et al.'s eq. 5 for a toy denoiser, the chunked scan against a float64
  NumPy/SciPy loop over t (Gaussian KLs, the discretized decoder by the normal CDF), and
  total = sum of the T terms + the prior term."""
  T, levels = 50, 17
  schedule = make_schedule("linear", T)
  x0 = jnp.asarray(np.random.default_rng(0).integers(0, levels, (3, 4, 4, 1)) / 8.0 - 1.0, jnp.float32)
  rng = jax.random.PRNGKey(3)
  result = jax.jit(lambda x: likelihood.bound_terms(toy_denoiser, schedule, "epsilon", variance, x,
                                                    rng, levels, chunk=10))(x0)

  betas = np.linspace(1e-4, 0.02, T) * 1000 / T
  alpha_bar = np.cumprod(1 - betas)
  alpha_bar_prev = np.concatenate([[1.0], alpha_bar[:-1]])
  posterior_variance = betas * (1 - alpha_bar_prev) / (1 - alpha_bar)
  model_variance = {"small": np.concatenate([[posterior_variance[1]], posterior_variance[1:]]),
                    "large": np.concatenate([[posterior_variance[1]], betas[1:]])}[variance]
  x0_64 = np.asarray(x0, np.float64)
  noise = np.asarray(jax.vmap(lambda t: jax.random.normal(jax.random.fold_in(rng, t), x0.shape))(
      jnp.arange(T)), np.float64)  # [T, B, ...]: the draws bound_terms makes
  expand = lambda a: a.reshape(T, 1, 1, 1, 1)
  x_t = np.sqrt(expand(alpha_bar)) * x0_64 + np.sqrt(1 - expand(alpha_bar)) * noise
  eps = np.asarray(toy_denoiser(jnp.asarray(x_t.reshape(T * 3, 4, 4, 1), jnp.float32),
                                jnp.repeat(jnp.arange(T), 3)), np.float64).reshape(x_t.shape)
  x0_hat = (x_t - np.sqrt(1 - expand(alpha_bar)) * eps) / np.sqrt(expand(alpha_bar))
  posterior_mean = lambda x: (expand(betas * np.sqrt(alpha_bar_prev)) * x + expand(
      (1 - alpha_bar_prev) * np.sqrt(1 - betas)) * x_t) / expand(1 - alpha_bar)
  mean, var = posterior_mean(x0_hat), expand(model_variance)
  true_var = expand(np.concatenate([[1.0], posterior_variance[1:]]))
  kl = 0.5 * (np.log(var / true_var) + true_var / var + (posterior_mean(x0_64) - mean) ** 2 / var - 1)
  std = math.sqrt(model_variance[0])
  upper = np.where(x0_64 > 1 - 1 / 16, 1.0, stats.norm.cdf(x0_64 + 1 / 16, mean[0], std))
  lower = np.where(x0_64 < -1 + 1 / 16, 0.0, stats.norm.cdf(x0_64 - 1 / 16, mean[0], std))
  nats = np.concatenate([-np.log(np.maximum(upper - lower, 1e-12))[None], kl[1:]])  # [T, B, ...]
  expected = nats.reshape(T, 3, -1).mean(2).T / math.log(2)
  prior_var = 1 - alpha_bar[-1]
  prior_nats = 0.5 * (-np.log(prior_var) + prior_var + alpha_bar[-1] * x0_64**2 - 1)
  prior = prior_nats.reshape(3, -1).mean(1) / math.log(2)

  np.testing.assert_allclose(result["terms"], expected, rtol=2e-3, atol=2e-5)
  np.testing.assert_allclose(result["prior"], prior, rtol=1e-3, atol=1e-6)
  total = np.asarray(result["terms"]).sum(1) + np.asarray(result["prior"])
  np.testing.assert_allclose(result["total"], total, rtol=1e-6)


# -- samplers --------------------------------------------------------------------------------------

def test_ddim_with_eta_0_is_deterministic_given_x_T():
  schedule = make_schedule("linear", 100)
  x_T = jax.random.normal(jax.random.PRNGKey(0), (5, 3))
  run = jax.jit(lambda key, eta: samplers.ddim(toy_denoiser, schedule, x_T, key, "epsilon", "small",
                                               20, eta, clip_x0=False), static_argnums=1)
  a, b = run(jax.random.PRNGKey(1), 0.0), run(jax.random.PRNGKey(2), 0.0)
  np.testing.assert_array_equal(a, b)
  assert float(jnp.max(jnp.abs(run(jax.random.PRNGKey(1), 1.0) - run(jax.random.PRNGKey(2), 1.0)))) > 0.1


def test_ddim_with_eta_1_over_all_steps_is_the_ancestral_sampler_with_small_variance():
  """Song et al. eq. 16 with eta = 1 gives sigma_t^2 = beta~_t: the same chain as DDPM's
  ancestral sampler with the fixed small variance, given the same x_T and step noise; the large
  variance is a different chain."""
  schedule = make_schedule("linear", 50)
  x_T = jax.random.normal(jax.random.PRNGKey(0), (6, 4, 4, 1))
  key = jax.random.PRNGKey(1)
  ddim = jax.jit(lambda: samplers.ddim(toy_denoiser, schedule, x_T, key, "epsilon", "small", 50, 1.0))()
  small, large = (jax.jit(lambda v=v: samplers.ancestral(toy_denoiser, schedule, x_T, key, "epsilon", v))()
                  for v in ("small", "large"))
  np.testing.assert_allclose(ddim, small, atol=2e-4)
  assert float(jnp.max(jnp.abs(ddim - large))) > 1e-2


def test_each_sampler_is_one_scan_over_its_steps():
  """1000 ancestral steps are one compiled loop, not 1000 dispatches: the sampler's jaxpr holds a
  single scan of length T (of length S for S-step DDIM)."""
  schedule = make_schedule("linear", 1000)
  x_T = jnp.zeros((2, 3))
  key = jax.random.PRNGKey(0)

  def scan_lengths(fn):
    jaxpr = jax.make_jaxpr(fn)().jaxpr
    return [eqn.params["length"] for eqn in jaxpr.eqns if eqn.primitive.name == "scan"]

  ancestral = lambda: samplers.ancestral(toy_denoiser, schedule, x_T, key, "epsilon", "small")
  assert scan_lengths(ancestral) == [1000]
  assert scan_lengths(lambda: samplers.ddim(toy_denoiser, schedule, x_T, key, "v", "small", 50)) == [50]


def test_classifier_free_guidance_mixes_conditional_and_unconditional_outputs():
  """Ho & Salimans eq. 6: (1 + w) f(x, y) - w f(x, null), in one batched call."""
  denoise = lambda x, t, y: x * (1.0 + y[:, None].astype(jnp.float32))
  labels = jnp.array([0, 3, 1])
  x = jnp.ones((3, 2))
  guided = samplers.guided(denoise, labels, 10, 2.0, "small")(x, jnp.zeros(3, jnp.int32))
  np.testing.assert_allclose(guided, 3.0 * denoise(x, None, labels) - 2.0 * 11.0 * x)


# -- networks and the experiment -----------------------------------------------------------------

def test_unet_of_ho_et_al_cifar10_has_35_7m_parameters():
  experiment = DiffusionExperiment(load_config("ddpm_cifar10"))
  shapes = jax.eval_shape(experiment.network.init, jax.random.PRNGKey(0), jnp.zeros((1, 32, 32, 3)),
                          jnp.zeros((1,), jnp.int32))
  count = sum(leaf.size for leaf in jax.tree.leaves(shapes))
  assert abs(count - 35.7e6) <= 0.1e6, count


def test_config_errors_name_the_fix():
  with pytest.raises(ConfigError, match="set diffusion.variance='learned'"):
    DiffusionExperiment(load_config("ddpm_digits", "loss.name=hybrid"))
  with pytest.raises(ConfigError, match="does not train the variances"):
    DiffusionExperiment(load_config("ddpm_digits", "diffusion.variance=learned"))
  with pytest.raises(UnknownNameError, match="valid: hybrid, simple, vlb"):
    DiffusionExperiment(load_config("ddpm_digits", "loss.name=l1"))
  with pytest.raises(UnknownNameError, match="valid: cosine, linear"):
    DiffusionExperiment(load_config("ddpm_digits", "diffusion.schedule=sigmoid"))
  with pytest.raises(ConfigError, match="needs model.class_conditional"):
    DiffusionExperiment(load_config("ddpm_digits", "sample.guidance_scale=1.0"))
  with pytest.raises(ConfigError, match="eta must be >= 0"):
    DiffusionExperiment(load_config("ddpm_digits", "eval.fid_vs_steps_etas=(0.0, -1.0)"))


def test_fid_vs_steps_report_has_a_row_per_steps_and_eta_and_the_ancestral_row(tmp_path):
  experiment = DiffusionExperiment(load_config("ddpm_digits", "eval.fid_vs_steps=(10, 50)",
                                               "eval.fid_vs_steps_etas=(0.0, 1.0)"))
  metrics = {"fid_ddim10_eta0": 3.0, "fid_ddim50_eta0": 2.0, "fid_ddim10_eta1": 2.5,
             "fid_ddim50_eta1": 1.5, "fid_ancestral1000": 1.0, "fid": 9.0}
  experiment.report(metrics, str(tmp_path))
  with open(tmp_path / "fid_vs_steps.json") as f:
    rows = json.load(f)["rows"]
  assert [(r["sampler"], r["eta"], r["steps"], r["fid"]) for r in rows] == [
      ("ddim", 0.0, 10, 3.0), ("ddim", 0.0, 50, 2.0), ("ddim", 1.0, 10, 2.5), ("ddim", 1.0, 50, 1.5),
      ("ancestral", None, 1000, 1.0)]
  table = (tmp_path / "fid_vs_steps.md").read_text()
  assert "| ddim | 1 | 50 | 1.500 |" in table and "| ancestral |  | 1000 | 1.000 |" in table
  assert (tmp_path / "fid_vs_steps.png").stat().st_size > 0


def test_sample_options_choose_the_sampler_and_default_to_the_config():
  """``sample``'s static options: DDIM at eta 1 over all T steps is the ancestral chain with the
  small variance (Song et al. eq. 16), fewer DDIM steps are another chain, and no options means
  ``config.sample``'s."""
  config = load_config("ddpm_ring8", "diffusion.num_timesteps=50", "eval.bound_chunk=10",
                       "model.width=32", "model.num_blocks=1")
  experiment = DiffusionExperiment(config)
  state = jax.jit(experiment.init)(jax.random.PRNGKey(0), {"point": jnp.zeros((4, 2))})
  # Random weights: the zero-initialised output layer would make every sampler see eps = 0.
  state = state.replace(ema_params=perturbed_params(state.params, 0.02, 1))
  sample = jax.jit(experiment.sample, static_argnums=2,
                   static_argnames=("sampler", "num_steps", "eta"))
  key = jax.random.PRNGKey(2)
  # Untrained, the chains grow far from the data (points are not clipped): compare relatively.
  ancestral = sample(state, key, 16, sampler="ancestral")
  np.testing.assert_allclose(sample(state, key, 16, sampler="ddim", num_steps=50, eta=1.0),
                             ancestral, rtol=1e-4, atol=1e-4)
  fewer = sample(state, key, 16, sampler="ddim", num_steps=10, eta=1.0)
  assert float(jnp.max(jnp.abs(fewer - ancestral) / (jnp.abs(ancestral) + 1.0))) > 1e-2
  assert config.sample.sampler == "ancestral"
  np.testing.assert_array_equal(sample(state, key, 16), ancestral)


def test_the_runners_sampler_passes_the_sample_options():
  """The fid-vs-steps rows go through ``Run.sampler(state)(rng, num, **options)``: DDIM at eta 1
  over all T steps drawn there is the ancestral chain drawn there."""
  from jaxgen.core import runner
  config = load_config("ddpm_ring8", "diffusion.num_timesteps=50", "eval.bound_chunk=10",
                       "model.width=32", "model.num_blocks=1", "eval.batch_size=16")
  run = runner.Run(config)
  state = jax.jit(run.experiment.init)(jax.random.PRNGKey(0), {"point": jnp.zeros((4, 2))})
  draw, key = run.sampler(state), jax.random.PRNGKey(1)
  ancestral = draw(key, 20)
  assert ancestral.shape == (20, 2)
  np.testing.assert_allclose(draw(key, 20, sampler="ddim", num_steps=50, eta=1.0), ancestral,
                             rtol=1e-4, atol=1e-4)


def test_evaluate_step_adds_the_full_bound_and_evaluate_averages_the_pass():
  """``evaluate_step``: ``eval_step``'s values plus the T-term bound per image (every KL term is
  >= 0, so the total is at least decoder + prior); ``evaluate`` reports the pass's means and
  draws the FID-vs-steps rows from one key with the rows' sampler options."""
  overrides = ("model.ch=16", "model.ch_mult=(1,)", "model.num_groups=4",
               "diffusion.num_timesteps=50", "eval.bound_chunk=10", "eval.fid_vs_steps=(5, 10)",
               "eval.fid_vs_steps_etas=(0.0,)", "eval.fid_vs_steps_ancestral=True",
               "eval.num_image_samples=40", "eval.fid_vs_steps_samples=30")
  experiment = DiffusionExperiment(load_config("ddpm_digits", *overrides))
  x = jnp.asarray(np.random.default_rng(0).integers(0, 17, (3, 8, 8, 1)) / 8.0 - 1.0, jnp.float32)
  batch = {"image": x, "mask": jnp.ones(3)}
  state = jax.jit(experiment.init)(jax.random.PRNGKey(0), batch)
  values = jax.jit(experiment.evaluate_step)(state, batch, jax.random.PRNGKey(1))
  assert set(values) == {"loss", "mse", "bound_estimate", "bits_per_dim", "bits_per_dim_decoder",
                         "bits_per_dim_prior"}
  assert all(v.shape == (3,) and bool(jnp.all(jnp.isfinite(v))) for v in values.values())
  assert bool(jnp.all(values["bits_per_dim"] >= values["bits_per_dim_decoder"]
                      + values["bits_per_dim_prior"] - 1e-6))
  without = DiffusionExperiment(load_config("ddpm_digits", *overrides, "eval.bits_per_dim=False"))
  assert set(jax.eval_shape(without.evaluate_step, state, batch, jax.random.PRNGKey(1))) == {
      "loss", "mse", "bound_estimate"}

  calls = []

  def sampler(rng, num, **options):
    calls.append((np.asarray(jax.random.key_data(rng)).tolist(), num, options))
    return np.full((num, 8, 8, 1), float(len(calls)))

  experiment.image_metrics = lambda images: {"fid": float(images[0, 0, 0, 0])}
  results = {"loss": np.array([1.0, 2.0, 6.0]), "bits_per_dim": np.array([3.0, 4.0, 5.0]),
             "bound_estimate": np.array([1.0, 2.0, 6.0]), "label": np.array([0.0, 1.0, 2.0])}
  metrics = experiment.evaluate(state, results, sampler, jax.random.PRNGKey(3))
  assert metrics == pytest.approx({
      "loss": 3.0, "bits_per_dim": 4.0, "bound_estimate": 3.0,
      "bound_estimate_se": stats.sem([1.0, 2.0, 6.0]), "fid": 1.0, "fid_ddim5_eta0": 2.0,
      "fid_ddim10_eta0": 3.0, "fid_ancestral50": 4.0})
  assert calls[0][1:] == (40, {})
  assert [call[1:] for call in calls[1:]] == [
      (30, {"sampler": "ddim", "num_steps": 5, "eta": 0.0}),
      (30, {"sampler": "ddim", "num_steps": 10, "eta": 0.0}),
      (30, {"sampler": "ancestral", "num_steps": 50, "eta": None})]
  assert calls[0][0] != calls[1][0] and calls[1][0] == calls[2][0] == calls[3][0]
  # The anomaly score: -log p(x) in nats, from the full bound where it was computed.
  np.testing.assert_allclose(experiment.anomaly_score(results),
                             results["bits_per_dim"] * 64 * math.log(2))
  estimate = {"bound_estimate": np.array([2.0])}
  np.testing.assert_allclose(without.anomaly_score(estimate), 2.0 * 64 * math.log(2))


def test_bound_estimate_averages_over_t_to_the_bound_with_the_decoder_term_once():
  """``bound_estimate`` = L_0 + T L_t [t > 0] + L_T: over every t with the same noise, its mean is
  the decoder term plus the T - 1 KL terms (``losses.bound_term`` at each t) plus the prior."""
  experiment = DiffusionExperiment(load_config(
      "ddpm_digits", "model.ch=16", "model.ch_mult=(1,)", "model.num_groups=4",
      "diffusion.num_timesteps=50", "eval.bound_chunk=10", "eval.fid_vs_steps=(5,)"))
  T, schedule = 50, experiment.schedule
  image = np.random.default_rng(0).integers(0, 17, (1, 8, 8, 1)) / 8.0 - 1.0
  x0 = jnp.asarray(np.repeat(image, T, axis=0), jnp.float32)
  t = jnp.arange(T)
  noise = jnp.broadcast_to(jax.random.normal(jax.random.PRNGKey(2), (1, 8, 8, 1)), x0.shape)
  x_t = schedule.q_sample(x0, t, noise)
  experiment.noised = lambda batch, rng, label_dropout: (x0, t, noise, x_t, None)  # every t once
  batch = {"image": x0, "mask": jnp.ones(T)}
  state = jax.jit(experiment.init)(jax.random.PRNGKey(0), batch)
  rng = jax.random.PRNGKey(1)
  estimates = experiment.eval_step(state, batch, rng)["bound_estimate"]
  params = state.eval_params
  terms = losses.bound_term(schedule, "epsilon", "small", experiment.denoise(params, x_t, t), x0,
                            x_t, t, 17)
  decoder = experiment.decoder_term(params, x0, None, jax.random.fold_in(rng, 1))
  expected = decoder.mean() + terms[1:].sum() + losses.prior_term(schedule, x0[:1])[0]
  np.testing.assert_allclose(estimates.mean(), expected, rtol=1e-5)
  assert float(decoder.mean()) > 0 and float(terms[0]) > 0  # L_0 enters once, not T L_0 at t = 0


@pytest.mark.parametrize("compute_dtype", ["float32", "bfloat16"])
def test_train_step_compiles_exactly_once(tmp_path, compute_dtype):
  """The step-dependent parts (random t, label dropout, warm-up) must not retrigger tracing."""
  config = load_config("ddpm_grid25", "train.num_steps=6", "train.batch_size=32", "log_every=2",
                       "eval_every=6", "checkpoint_every=6", "diffusion.num_timesteps=100",
                       "model.width=32", "model.num_blocks=1", "eval.batch_size=50",
                       "eval.num_samples=16", "optimizer.warmup_steps=3",
                       f"train.compute_dtype={compute_dtype}")
  run, state = train_inspectable(config, str(tmp_path / "run"))
  assert run.train_step_fn._cache_size() == 1
  assert run.eval_step_fn._cache_size() == 1
  assert all(leaf.dtype == jnp.float32 for leaf in jax.tree.leaves((state.params, state.opt_state))
             if jnp.issubdtype(leaf.dtype, jnp.floating))


def _unet_experiment(compute_dtype):
  # One resolution with attention: every layer kind, compiled in a fraction of the two-level time.
  return DiffusionExperiment(load_config("ddpm_digits", "model.ch=16", "model.num_groups=4",
                                         "model.ch_mult=[1]", "model.attn_resolutions=[8]",
                                         f"train.compute_dtype={compute_dtype}"))


def test_bfloat16_training_computes_the_unet_in_bfloat16_on_float32_parameters():
  """Mixed precision: the training step's convolutions and matmuls run in bfloat16, the parameters,
  their gradients and the loss are float32, and the bfloat16 network computes the float32 one's
  function to bfloat16's precision (same parameters, outputs and gradients within a few %)."""
  mixed, full = _unet_experiment("bfloat16"), _unet_experiment("float32")
  x = jax.random.uniform(jax.random.PRNGKey(0), (8, 8, 8, 1), minval=-1.0, maxval=1.0)
  t = jnp.arange(8) * 100
  state = jax.jit(mixed.init)(jax.random.PRNGKey(1), {"image": x})
  # Ho et al. zero-initialise each block's last conv; random weights make every layer count.
  params = perturbed_params(state.params, 0.1, 2)
  assert jax.tree.structure(params) == jax.tree.structure(
      jax.eval_shape(full.init, jax.random.PRNGKey(1), {"image": x}).params)

  def loss(network, params):
    output = network.apply({"params": params}, x, t, train=False)
    assert output.dtype == jnp.float32
    return jnp.mean(output ** 2)

  (value16, grads16), (value32, grads32) = (  # jitted: op by op, bfloat16 on the CPU is slow
      jax.jit(jax.value_and_grad(lambda p, network=network: loss(network, p)))(params)
      for network in (mixed.train_network, full.train_network))
  assert abs(float(value16) / float(value32) - 1.0) < 0.05
  flat16, flat32 = (jnp.concatenate([g.ravel() for g in jax.tree.leaves(grads)])
                    for grads in (grads16, grads32))
  assert flat16.dtype == jnp.float32
  cosine = jnp.dot(flat16, flat32) / (jnp.linalg.norm(flat16) * jnp.linalg.norm(flat32))
  assert float(cosine) > 0.99, float(cosine)

  def step_hlo(experiment):
    return jax.jit(experiment.train_step).lower(state, {"image": x},
                                                jax.random.PRNGKey(3)).as_text()
  convolutions = lambda hlo: [line for line in hlo.splitlines() if "convolution" in line]
  assert any("bf16" in line for line in convolutions(step_hlo(mixed)))
  assert not any("bf16" in line for line in convolutions(step_hlo(full)))
  # Evaluation and sampling use the float32 network.
  assert mixed.network.dtype == jnp.float32 and mixed.train_network.dtype == jnp.bfloat16


def test_compute_dtype_errors_name_the_valid_choices():
  from jaxgen.core import runner
  with pytest.raises(UnknownNameError, match="valid: float32, bfloat16"):
    _unet_experiment("float16")
  config = config_lib.load_config(os.path.join(REPO, "experiments", "vae_digits.py"))
  config_lib.apply_overrides(config, ["train.compute_dtype=bfloat16"])
  with pytest.raises(ConfigError, match="not supported by the 'vae' family"):
    runner.Run(config)


@pytest.mark.parametrize("schedule_name", ["linear", "cosine"])
def test_ode_likelihood_of_the_exact_epsilon_network_is_the_data_density(schedule_name):
  """The DDPM in continuous time (log alpha_bar linear between the timesteps): with the exact
  epsilon of Gaussian data N(0, 0.5^2), the probability flow returns the density at t_min."""
  schedule = make_schedule(schedule_name, 1000)
  coefficients, index_of = likelihood.continuous_alpha_sigma(schedule)
  t_of_index = lambda index: (index[0] + 1.0) / schedule.num_timesteps

  def exact_epsilon(x, index):
    alpha, sigma, _, _ = coefficients(t_of_index(index))
    return sigma / (alpha**2 * 0.25 + sigma**2) * x

  np.testing.assert_allclose(t_of_index(jnp.array([index_of(0.3)])), 0.3, rtol=1e-6)
  x = 0.5 * jax.random.normal(jax.random.key(0), (32, 2, 2, 1))
  log_p, nfe = jax.jit(lambda x: likelihood.ode_log_likelihood(
      exact_epsilon, schedule, "epsilon", "small", x, jax.random.key(1), 1e-5, 1e-6, 1e-6))(x)
  _, sigma_min, _, _ = coefficients(1e-5)
  true = stats.norm(0, math.sqrt(0.25 * (1 - sigma_min**2) + sigma_min**2)).logpdf(
      np.asarray(x)).reshape(32, -1).sum(axis=1)
  np.testing.assert_allclose(log_p, true, atol=2e-3)
  assert nfe > 6
