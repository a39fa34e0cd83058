"""Flow matching: paths and targets against closed forms, the solvers' orders of accuracy and exact
NFE counts, and the probability-flow likelihood, all on Gaussian data, whose probability flow is
linear with a known solution (no network needed)."""

import functools
import math
import os
import re

import jax
import jax.numpy as jnp
import ml_collections
import numpy as np
import pytest
from scipy import stats

from conftest import EXPERIMENTS
from jaxgen.eval.ode_likelihood import normal_log_density, ode_log_likelihood
from jaxgen.families.flow_matching import losses, samplers
from jaxgen.families.flow_matching.paths import PATHS

DATA_STD = 0.5  # the Gaussian data distribution N(0, DATA_STD^2 I)


def path_config(**overrides):
  c = ml_collections.ConfigDict(dict(name="ot", t_min=0.0, sigma_min=0.0, sigma_max=4.0,
                                     beta_min=0.1, beta_max=20.0))
  c.update(overrides)
  return c


PATH_CONFIGS = {"ot": path_config(), "vp": path_config(name="vp", t_min=1e-3),
                "ve": path_config(name="ve", sigma_min=0.01)}


def make_path(name):
  return PATHS.get(name)(PATH_CONFIGS[name])


def sample_config(**overrides):
  c = ml_collections.ConfigDict(dict(max_noise_ratio=80.0, snr=0.16, rtol=1e-6, atol=1e-6,
                                     max_steps=4096))
  c.update(overrides)
  return c


def gaussian_denoiser(path, counter=None):
  """The exact (x0_hat, eps_hat) = E[(x_0, eps) | x_t] for data N(0, DATA_STD^2 I): both linear in
  x_t. ``counter`` (a list) counts the evaluations at run time."""

  def denoise(x, t):
    if counter is not None:
      jax.debug.callback(lambda: counter.append(1))
    alpha, sigma = (v.reshape(-1, *([1] * (x.ndim - 1))) for v in (path.alpha(t), path.sigma(t)))
    variance = jnp.square(alpha * DATA_STD) + jnp.square(sigma)
    return alpha * DATA_STD**2 / variance * x, sigma / variance * x

  return denoise


def marginal_std(path, t):
  return math.sqrt(float(path.alpha(jnp.float32(t))) ** 2 * DATA_STD**2 + float(path.sigma(jnp.float32(t))) ** 2)


@pytest.mark.parametrize("name", ["ot", "vp", "ve"])
def test_path_derivatives_and_sde_match_closed_forms(name):
  path = make_path(name)
  t = jnp.linspace(0.05, 0.95, 7)
  np.testing.assert_allclose(path.d_alpha(t), jax.vmap(jax.grad(path.alpha))(t), rtol=1e-5, atol=1e-6)
  np.testing.assert_allclose(path.d_sigma(t), jax.vmap(jax.grad(path.sigma))(t), rtol=1e-5, atol=1e-6)
  drift, diffusion_sq = path.drift_diffusion(t)
  c = PATH_CONFIGS[name]
  if name == "vp":  # Song et al. eq. 11: f = -beta(t) / 2, g^2 = beta(t)
    beta = c.beta_min + t * (c.beta_max - c.beta_min)
    np.testing.assert_allclose(drift, -beta / 2, rtol=1e-5)
    np.testing.assert_allclose(diffusion_sq, beta, rtol=1e-4)
    np.testing.assert_allclose(path.alpha(t) ** 2 + path.sigma(t) ** 2, 1.0, rtol=1e-6)
  if name == "ve":  # eq. 9: f = 0, g^2 = d sigma^2 / dt = 2 sigma^2 log(sigma_max / sigma_min)
    np.testing.assert_allclose(drift, 0.0)
    np.testing.assert_allclose(diffusion_sq, 2 * path.sigma(t) ** 2 * math.log(c.sigma_max / c.sigma_min),
                               rtol=1e-5)
  ratios = path.noise_ratio(t)
  np.testing.assert_allclose(path.t_of_noise_ratio(ratios), t, atol=1e-5)


def test_ot_path_is_the_straight_line_and_its_target_is_eps_minus_x0():
  path = make_path("ot")
  x0, noise = jax.random.normal(jax.random.key(0), (2, 5, 3))
  t = jnp.array([0.0, 0.25, 0.5, 0.75, 1.0])
  np.testing.assert_allclose(path.sample(x0, t, noise), (1 - t[:, None]) * x0 + t[:, None] * noise,
                             rtol=1e-6)
  target = losses.PARAMETERISATIONS.get("velocity").target(path, x0, t, noise)
  np.testing.assert_allclose(target, noise - x0, rtol=1e-6)
  # rectified flow: one Euler step of the exact velocity maps noise to data along the line
  np.testing.assert_allclose(noise - 1.0 * target, x0, rtol=1e-6)


@pytest.mark.parametrize("name", ["ot", "vp", "ve"])
@pytest.mark.parametrize("parameterisation", ["velocity", "epsilon", "x0", "v"])
def test_every_parameterisation_recovers_x0_and_eps(name, parameterisation):
  path = make_path(name)
  x0, noise = jax.random.normal(jax.random.key(1), (2, 4, 3))
  t = jnp.array([0.1, 0.4, 0.6, 0.9])
  param = losses.PARAMETERISATIONS.get(parameterisation)
  x_t = path.sample(x0, t, noise)
  x0_hat, eps_hat = param.denoised(path, x_t, t, param.target(path, x0, t, noise))
  np.testing.assert_allclose(x0_hat, x0, atol=2e-4)
  np.testing.assert_allclose(eps_hat, noise, atol=2e-4)
  np.testing.assert_allclose(losses.ode_velocity(path, x0_hat, eps_hat, t),
                             losses.PARAMETERISATIONS.get("velocity").target(path, x0, t, noise),
                             atol=2e-3)


def solve(sampler, path_name, num_steps, counter=None, **config):
  """Samples of ``sampler`` with the exact Gaussian denoiser from x_start, and the exact
  solution of the probability flow there: x(t_min) = x_start std(t_min) / std(t0)."""
  path, c = make_path(path_name), sample_config(**config)
  t0 = float(samplers.initial_time(path, sampler, num_steps, c))
  x_start = marginal_std(path, t0) * jax.random.normal(jax.random.key(2), (256, 2))
  run = jax.jit(functools.partial(samplers.run, sampler, gaussian_denoiser(path, counter), path,
                                  num_steps=num_steps, c=c))
  x, nfe = run(x_start, jax.random.key(3))
  exact = x_start * marginal_std(path, path.t_min) / marginal_std(path, t0)
  return np.asarray(x), int(nfe), np.asarray(exact)


@pytest.mark.parametrize("sampler,order,path_name", [
    ("euler", 1, "ot"), ("heun", 2, "ot"), ("dpmpp_2m", 2, "ot"), ("dpmpp_2m", 2, "vp")])
def test_ode_solvers_converge_at_their_order(sampler, order, path_name):
  errors = []
  for steps in (16, 32):
    x, _, exact = solve(sampler, path_name, steps)
    errors.append(np.max(np.abs(x - exact)))
  observed = math.log2(errors[0] / errors[1])
  assert order - 0.35 < observed < order + 0.6, (errors, observed)


def test_dopri5_meets_its_tolerance_and_counts_its_evaluations():
  counter = []
  x, nfe, exact = solve("dopri5", "ot", 0, counter=counter, rtol=1e-6, atol=1e-6)
  np.testing.assert_allclose(x, exact, atol=1e-4)
  assert nfe == len(counter) > 6


@pytest.mark.parametrize("sampler,steps", [("euler", 3), ("heun", 4), ("dpmpp_2m", 5),
                                           ("euler_maruyama", 6), ("pc", 3)])
def test_nfe_counts_the_network_evaluations(sampler, steps):
  counter = []
  _, nfe, _ = solve(sampler, "vp", steps, counter=counter, rtol=1e-4, atol=1e-4)
  assert nfe == len(counter) == samplers.nfe(sampler, steps)


@pytest.mark.parametrize("sampler", ["euler_maruyama", "pc"])
def test_sde_samplers_reach_the_data_distribution(sampler):
  path = make_path("vp")
  c = sample_config()
  x_start = jax.random.normal(jax.random.key(4), (4000, 2))
  x, _ = jax.jit(functools.partial(samplers.run, sampler, gaussian_denoiser(path), path,
                                   num_steps=200, c=c))(x_start, jax.random.key(5))
  x = np.asarray(x).ravel()
  assert abs(np.mean(x)) < 0.03
  assert abs(np.std(x) - DATA_STD) < 0.03, np.std(x)


@pytest.mark.parametrize("path_name", ["ot", "vp"])
def test_ode_likelihood_of_gaussian_data_is_exact(path_name):
  """The probability flow of the exact score carries N(0, std_1^2) back to the data's density."""
  path = make_path(path_name)
  velocity = samplers.probability_flow(gaussian_denoiser(path), path)
  x = DATA_STD * jax.random.normal(jax.random.key(6), (64, 2))
  prior_std = marginal_std(path, 1.0)
  log_p, nfe = jax.jit(lambda x: ode_log_likelihood(
      velocity, x, lambda y: normal_log_density(y, prior_std), path.t_min, 1.0, jax.random.key(0),
      "exact", 1e-6, 1e-6))(x)
  true = stats.norm(0, marginal_std(path, path.t_min)).logpdf(np.asarray(x)).sum(axis=1)
  np.testing.assert_allclose(log_p, true, atol=2e-3)
  assert nfe > 6


def test_a_solves_status_sees_every_step_and_changes_no_number(monkeypatch, capsys):
  """``status(fraction, steps)`` runs on the host after each of the (NFE - 1) / 6 steps, the
  fraction rising to 1; ``progress.SolveStatus`` turns it into status lines."""
  from jaxgen.core import progress
  path = make_path("ot")
  velocity = samplers.probability_flow(gaussian_denoiser(path), path)
  x = DATA_STD * jax.random.normal(jax.random.key(6), (8, 2))
  calls = []
  solve = lambda x, status: ode_log_likelihood(
      velocity, x, normal_log_density, path.t_min, 1.0, jax.random.key(0), "exact", 1e-5, 1e-5,
      status=status)
  log_p, nfe = jax.jit(lambda x: solve(x, lambda *a: calls.append(tuple(map(float, a)))))(x)
  fractions, steps = zip(*calls)
  assert steps == tuple(range(1, (int(nfe) - 1) // 6 + 1))
  assert list(fractions) == sorted(fractions) and fractions[-1] == 1.0
  np.testing.assert_array_equal(log_p, jax.jit(lambda x: solve(x, None)[0])(x))
  monkeypatch.setattr(progress, "STATUS_SECONDS", 0.0)
  jax.jit(lambda x: solve(x, progress.SolveStatus("ODE")))(x)
  lines = capsys.readouterr().err.splitlines()
  assert len(lines) == len(steps) - 1  # the first step starts the clock
  assert re.search(rf"\] ODE: 100.0% of the time interval, {len(steps)} solver steps, [\d.]+ min$",
                   lines[-1])


def test_hutchinson_likelihood_is_unbiased():
  """Data N(0, S) with a correlated S: the flow's Jacobian is not diagonal, so each Rademacher
  probe errs, and their mean is the exact log-density."""
  path = make_path("ot")
  factor = np.random.default_rng(0).normal(size=(4, 4)) / 2
  covariance = factor @ factor.T + 0.1 * np.eye(4)

  def denoise(x, t):  # E[x_0 | x_t] = a S (a^2 S + s^2 I)^-1 x_t, E[eps | x_t] = s (...)^-1 x_t
    alpha, sigma = path.alpha(t[0]), path.sigma(t[0])
    inverse = jnp.linalg.inv(alpha**2 * covariance + sigma**2 * jnp.eye(4))
    return x @ (alpha * covariance @ inverse).T, x @ (sigma * inverse).T

  velocity = samplers.probability_flow(denoise, path)
  point = np.random.default_rng(1).multivariate_normal(np.zeros(4), covariance)
  x = jnp.broadcast_to(jnp.asarray(point, jnp.float32), (512, 4))
  hutchinson = np.asarray(jax.jit(lambda: ode_log_likelihood(
      velocity, x, normal_log_density, 0.0, 1.0, jax.random.key(8), "hutchinson", 1e-6, 1e-6)[0])())
  true = stats.multivariate_normal(np.zeros(4), covariance).logpdf(point)
  standard_error = hutchinson.std(ddof=1) / math.sqrt(len(hutchinson))
  assert hutchinson.std() > 0.05  # the probes vary: each estimate errs
  assert abs(hutchinson.mean() - true) < 4 * standard_error, (hutchinson.mean(), true, standard_error)


def test_guidance_mixes_conditional_and_unconditional_predictions_in_one_call():
  calls = []

  def network(x, t, labels):
    calls.append(x.shape[0])
    return x * (labels[:, None] + 1.0) + t[:, None]

  x, t, labels = jnp.ones((3, 2)), jnp.full((3,), 0.5), jnp.array([0, 1, 2])
  guided = samplers.guided(network, labels, null_label=10, scale=2.0)(x, t)
  expected = 3.0 * network(x, t, labels) - 2.0 * network(x, t, jnp.full((3,), 10))
  np.testing.assert_allclose(guided, expected, rtol=1e-6)
  assert calls[0] == 6  # the doubled batch, one network call


def test_config_errors_name_the_fix():
  from jaxgen import registry
  from jaxgen.core import config as config_lib
  from jaxgen.errors import ConfigError

  cases = {"parameterisation=epsilon": "at t = 1 (use 'velocity')",
           "parameterisation=x0": "at t = 0 (use 'velocity', or raise path.t_min)",
           "sample.sampler=pc": "use an ODE sampler",
           "path.name=vp": "needs path.t_min > 0",
           "data.dequantize=False": "data.dequantize=True",
           "sample.guidance_scale=1.0": "class_conditional=True",
           "reflow.time_grid=2": "set reflow.pairs",
           "reflow.time_grid=-1": "an int >= 0",
           "sample.with_noise=True": "starts at t = 0.987"}  # dpmpp_2m's Karras grid
  for override, message in cases.items():
    config = config_lib.load_config(os.path.join(EXPERIMENTS, "flow_matching_digits.py") + ":smoke")
    config_lib.apply_overrides(config, [override])
    with pytest.raises(ConfigError, match=re.escape(message)):
      registry.make_experiment(config)


def test_fid_vs_nfe_report_has_a_row_per_measured_sampler_with_its_nfe(tmp_path):
  import json
  from jaxgen import registry
  from jaxgen.core import config as config_lib
  config = config_lib.load_config(os.path.join(EXPERIMENTS, "flow_matching_digits.py") + ":smoke")
  config_lib.apply_overrides(config, ["eval.fid_vs_nfe=(('euler', 10), ('heun', 5), ('dopri5', 0))"])
  # heun5 was not measured: no row; dopri5's metric name has no step count
  metrics = {"fid_euler10": 2.5, "nfe_euler10": 10.0, "fid_dopri5": 0.75, "nfe_dopri5": 199.0,
             "fid": 9.0}
  registry.make_experiment(config).report(metrics, str(tmp_path))
  with open(tmp_path / "fid_vs_nfe.json") as f:
    rows = json.load(f)["rows"]
  assert [(r["sampler"], r["steps"], r["nfe"], r["fid"]) for r in rows] == [
      ("euler", 10, 10.0, 2.5), ("dopri5", 0, 199.0, 0.75)]
  table = (tmp_path / "fid_vs_nfe.md").read_text().splitlines()
  assert table[2:] == ["| sampler | steps | NFE | FID |", "|---|---:|---:|---:|",
                       "| euler | 10 | 10 | 2.500 |", "| dopri5 | 0 | 199 | 0.750 |"]
  assert (tmp_path / "fid_vs_nfe.png").stat().st_size > 0


# -- reflow and distillation ------------------------------------------------------------------

def tiny_experiment(*overrides):
  """flow_matching_ring8's MLP experiment (the OT path: rectified flow), without dropout."""
  from jaxgen import registry
  from jaxgen.core import config as config_lib
  config = config_lib.load_config(os.path.join(EXPERIMENTS, "flow_matching_ring8.py") + ":smoke")
  config_lib.apply_overrides(config, ["model.dropout=0.0", "model.width=16", *overrides])
  experiment = registry.make_experiment(config)
  experiment.prepare(None)
  state = jax.jit(experiment.init)(jax.random.PRNGKey(0), {"point": jnp.zeros((4, 2))})
  return experiment, state


def test_pairs_load_with_one_line_errors_and_distillation_times_lie_on_the_grid(tmp_path):
  from jaxgen.errors import ConfigError, DataError
  from jaxgen.families.flow_matching import reflow
  with pytest.raises(ConfigError, match="no file .*jaxgen sample --workdir TEACHER"):
    reflow.load_pairs(str(tmp_path / "absent.npz"), (2,))
  np.savez(tmp_path / "x.npz", samples=np.zeros((3, 2)))
  with pytest.raises(DataError, match="lacks noise"):
    reflow.load_pairs(str(tmp_path / "x.npz"), (2,))
  np.savez(tmp_path / "x.npz", samples=np.zeros((3, 2)), noise=np.zeros((3, 3)))
  with pytest.raises(DataError, match=r"must both be \[N, 2\]"):
    reflow.load_pairs(str(tmp_path / "x.npz"), (2,))
  grid = np.asarray(reflow.times(jax.random.PRNGKey(0), 4000, 0.0, 4))
  assert set(np.unique(grid)) == {0.25, 0.5, 0.75, 1.0}
  assert abs(np.mean(grid == 1.0) - 0.25) < 0.03  # uniform over the grid
  uniform = np.asarray(reflow.times(jax.random.PRNGKey(0), 4000, 0.1, 0))
  assert uniform.min() >= 0.1 and uniform.max() <= 1.0 and len(np.unique(uniform)) == 4000


def test_reflow_trains_on_the_pairs_straight_line_and_one_euler_step_inverts_it(tmp_path):
  """One stored pair (z, x) and time_grid 1: every draw is x_t = z at t = 1 and the loss is
  |v(z, 1) - (z - x)|^2; a one-step Euler sample from z is z - v(z, 1), and sample.with_noise
  returns that z with it."""
  z, x = np.array([[0.3, -1.2]], np.float32), np.array([[2.0, 0.5]], np.float32)
  np.savez(tmp_path / "pairs.npz", noise=z, samples=x)
  experiment, state = tiny_experiment(f"reflow.pairs='{tmp_path / 'pairs.npz'}'", "reflow.time_grid=1",
                                      "sample.sampler=euler", "sample.num_steps=1",
                                      "sample.with_noise=True")
  params = jax.tree.map(lambda p: p + 0.1, state.params)  # off the zero-initialised output layer
  loss, _ = jax.jit(experiment.loss)(params, None, {"point": jnp.zeros((5, 2))},
                                     jax.random.PRNGKey(1), 0)
  velocity = experiment.predict(params, jnp.asarray(z), jnp.ones(1))
  np.testing.assert_allclose(loss, np.full(5, np.mean(np.square(velocity - (z - x)))), rtol=1e-5)

  drawn = jax.jit(lambda state, key: experiment.sample(state, key, 3))(
      state.replace(params=params, ema_params=params), jax.random.PRNGKey(2))
  step = experiment.predict(params, drawn["noise"], jnp.ones(3))
  np.testing.assert_allclose(drawn["samples"], drawn["noise"] - step, atol=1e-4)  # via (x0, eps)


def test_jaxgen_sample_writes_pairs_that_a_reflow_run_trains_on(tmp_path):
  from jaxgen import cli
  config = os.path.join(EXPERIMENTS, "flow_matching_ring8.py") + ":smoke"
  small = ["--config.model.width=16", "--config.eval.likelihood=False"]
  teacher, pairs = str(tmp_path / "teacher"), str(tmp_path / "pairs.npz")
  assert cli.main(["train", "--config", config, "--workdir", teacher, *small]) == 0
  assert cli.main(["sample", "--workdir", teacher, "--num", "40", "--out", pairs,
                   "--config.sample.with_noise=True", "--config.sample.sampler=euler"]) == 0
  stored = np.load(pairs)
  assert stored["noise"].shape == stored["samples"].shape == (40, 2)
  assert np.all(np.isfinite(stored["samples"])) and abs(np.std(stored["noise"]) - 1.0) < 0.3
  student = str(tmp_path / "student")
  assert cli.main(["train", "--config", config, "--workdir", student, *small,
                   f"--config.reflow.pairs={pairs}", f"--config.init_from={teacher}"]) == 0
  assert os.path.exists(os.path.join(student, "init_from.json"))
