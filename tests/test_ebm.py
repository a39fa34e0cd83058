"""The energy-based family: Langevin dynamics, the replay buffer, the grid normaliser."""

import math
import os

import jax
import jax.numpy as jnp
import numpy as np

from conftest import EXPERIMENTS
from jaxgen.core import config as config_lib
from jaxgen.eval import grid
from jaxgen.families.ebm import langevin
from jaxgen.families.ebm.experiment import EBMExperiment


def test_grid_normaliser_integrates_a_gaussian_to_its_constant():
  """exp(-|x - m|^2 / (2 s^2)) over a box holding its mass integrates to 2 pi s^2."""
  s, m = 0.3, jnp.asarray([0.5, -0.25])
  log_z = grid.log_normalizer(lambda x: -jnp.sum((x - m)**2, -1) / (2 * s**2), -3.0, 3.0, 600)
  assert abs(log_z - math.log(2 * math.pi * s**2)) < 1e-5
  points, area = grid.grid_points(-1.0, 1.0, 4)
  assert points.shape == (16, 2) and area == 0.25 and points.min() == -0.75


def test_langevin_chains_reach_the_unadjusted_algorithms_exact_stationary_law():
  """On E = |x - m|^2 / (2 s^2) with noise sqrt(step), ULA's chains are Gaussian with mean m and
  variance s^2 / (1 - step / (4 s^2)) (exact for this energy); 4,000 chains, 300 steps."""
  s, m, step = 0.5, jnp.asarray([1.0, -2.0]), 0.05
  energy = lambda x: jnp.sum((x - m)**2, -1) / (2 * s**2)
  start = jax.random.normal(jax.random.PRNGKey(0), (4000, 2)) * 3.0
  run = jax.jit(lambda x, key: langevin.langevin(energy, x, key, 300, step, math.sqrt(step)))
  x = np.asarray(run(start, jax.random.PRNGKey(1)))
  variance = s**2 / (1 - step / (4 * s**2))
  np.testing.assert_allclose(x.mean(0), m, atol=4 * math.sqrt(variance / 4000))
  np.testing.assert_allclose(x.var(0), variance, rtol=0.06)  # 4 sd of a 4,000-sample variance


def test_buffer_starts_restart_a_fraction_from_the_box_and_keep_the_rest():
  buffer = jnp.full((1000, 2), 7.0)
  low, high = jnp.asarray([-1.0, -1.0]), jnp.asarray([1.0, 1.0])
  slots, start = langevin.buffer_starts(buffer, jax.random.PRNGKey(0), 20_000, 0.05, low, high)
  fresh = np.asarray(start[:, 0] != 7.0)
  assert abs(fresh.mean() - 0.05) < 0.006 and slots.min() >= 0 and slots.max() < 1000
  assert np.abs(np.asarray(start)[fresh]).max() <= 1.0


def test_a_train_step_writes_its_chains_ends_back_to_the_buffer():
  config = config_lib.load_config(os.path.join(EXPERIMENTS, "ebm_ring8.py") + ":smoke")
  config_lib.apply_overrides(config, ["model.hidden=(16,)", "langevin.buffer_size=64",
                                      "langevin.reinit=0.0"])
  e = EBMExperiment(config)
  e.low, e.high = -3.0, 3.0  # prepare's box, without reading the data
  batch = {"point": jax.random.normal(jax.random.PRNGKey(0), (32, 2))}
  state = jax.jit(e.init)(jax.random.PRNGKey(1), batch)
  before = np.asarray(state.model_state["buffer"])
  new_state, metrics = jax.jit(e.train_step)(state, batch, jax.random.PRNGKey(2))
  after = np.asarray(new_state.model_state["buffer"])
  changed = np.any(after != before, axis=1)
  assert 0 < changed.sum() <= 32 and int(new_state.step) == 1
  assert np.isfinite(float(metrics["loss"]))
  assert set(metrics) >= {"energy_positive", "energy_negative"}
