"""The energy-based family: Langevin dynamics, the replay buffer, the grid normaliser; image
EBMs and JEM."""

import json
import math
import os

import jax
import jax.numpy as jnp
import numpy as np

from conftest import EXPERIMENTS, perturbed_params, train_and_evaluate
from jaxgen.core import config as config_lib
from jaxgen.eval import grid
from jaxgen.families.ebm import langevin, losses
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


# -- images and JEM -------------------------------------------------------------------------------

SMALL_IMAGE_MODEL = ["model.widths=(4,)", "model.hidden=(8,)", "langevin.buffer_size=64"]
LANGEVIN = langevin.langevin  # the module's function, which a spy below wraps


def image_experiment(name, *overrides):
  config = config_lib.load_config(os.path.join(EXPERIMENTS, f"{name}.py") + ":smoke")
  config_lib.apply_overrides(config, [*SMALL_IMAGE_MODEL, *overrides])
  return EBMExperiment(config)


def test_image_chains_are_the_langevin_function_and_reach_its_exact_stationary_law(monkeypatch):
  """The image EBM's sampler is ``langevin.langevin`` itself, on [N, 8, 8, 1]: on the Gaussian
  energy of the points test, summed over pixels, every pixel's chains have mean m and variance
  s^2 / (1 - step / (4 s^2)); 1,000 chains x 64 pixels, 150 steps."""
  s, m, step = 0.5, 0.25, 0.05
  e = image_experiment("ebm_digits", f"langevin.step_size={step}",
                       f"langevin.noise_std={math.sqrt(step)}")
  e.energy = lambda params, x: jnp.sum((x - m)**2, axis=(1, 2, 3)) / (2 * s**2)
  shapes = []
  monkeypatch.setattr(langevin, "langevin", lambda energy, x, *rest: shapes.append(x.shape)
                      or LANGEVIN(energy, x, *rest))
  start = jax.random.normal(jax.random.PRNGKey(0), (1000, 8, 8, 1)) * 3.0
  x = np.asarray(jax.jit(lambda x, key: e.chains(None, x, key, 150))(start, jax.random.PRNGKey(1)))
  assert shapes == [(1000, 8, 8, 1)]
  variance = s**2 / (1 - step / (4 * s**2))
  assert abs(x.mean() - m) < 4 * math.sqrt(variance / x.size)
  # The energy is separable: 64,000 independent draws, 4 sd of their variance 0.022 relative.
  np.testing.assert_allclose(x.var(), variance, rtol=0.025)
  assert np.all(np.abs(x.mean(axis=0) - m) < 4 * math.sqrt(variance / 1000))


def test_buffer_starts_restart_whole_images():
  buffer = jnp.full((1000, 4, 4, 1), 7.0)
  low, high = -jnp.ones((4, 4, 1)), jnp.ones((4, 4, 1))
  slots, start = langevin.buffer_starts(buffer, jax.random.PRNGKey(0), 20_000, 0.05, low, high)
  start = np.asarray(start).reshape(20_000, -1)
  fresh = start[:, 0] != 7.0
  assert abs(fresh.mean() - 0.05) < 0.006 and slots.min() >= 0 and slots.max() < 1000
  assert np.all(start[~fresh] == 7.0) and np.abs(start[fresh]).max() <= 1.0
  assert np.all(start[fresh].std(axis=1) > 0.1)  # every pixel drawn anew


def test_jem_energies_are_minus_logsumexp_and_its_classifier_is_the_softmax():
  """E(x) = -logsumexp_y f(x)[y], E(x, y) = -f(x)[y], p(y|x) = softmax f(x) = exp(E(x) - E(x, y)):
  eval_step's energy, cross-entropy and accuracy against NumPy on f's logits."""
  e = image_experiment("jem_digits")
  images = jax.random.uniform(jax.random.PRNGKey(0), (6, 8, 8, 1), minval=-1.0, maxval=1.0)
  labels = jnp.arange(6) % 10
  state = jax.jit(e.init)(jax.random.PRNGKey(1), {"image": images, "label": labels})
  state = state.replace(params=perturbed_params(state.params, 0.5))
  logits, values = jax.jit(lambda state, batch: (e.network(state.params, batch["image"]),
                                                  e.eval_step(state, batch, None)))(
      state, {"image": images, "label": labels})
  logits = np.asarray(logits, np.float64)
  assert logits.shape == (6, 10)
  peak = logits.max(axis=1)
  log_partition = peak + np.log(np.sum(np.exp(logits - peak[:, None]), axis=1))
  np.testing.assert_allclose(values["energy"], -log_partition, rtol=1e-5)
  softmax = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
  np.testing.assert_allclose(np.exp(-values["loss"]), softmax[np.arange(6), labels], rtol=1e-5)
  np.testing.assert_array_equal(values["accuracy"], softmax.argmax(1) == np.asarray(labels))
  assert np.ptp(softmax.max(axis=1)) > 0.05  # perturbed: the classes are told apart


def test_contrastive_divergence_lowers_the_energy_of_data_and_raises_that_of_negatives():
  """On E_w(x) = w . x, the loss's gradient is mean(x+) - mean(x-) + 2 alpha (mean(E+ x+) +
  mean(E- x-)); a small step against it lowers the mean energy of x+ and raises that of x-."""
  rng = np.random.default_rng(0)
  positive, negative = rng.normal(1.0, 0.3, (8, 3)), rng.normal(-1.0, 0.3, (8, 3))
  w, alpha = np.asarray([0.2, -0.1, 0.3]), 0.1

  def loss(w):
    return losses.contrastive_divergence(jnp.asarray(positive) @ w, jnp.asarray(negative) @ w,
                                         alpha)

  grad = np.asarray(jax.grad(loss)(jnp.asarray(w, jnp.float32)))
  e_pos, e_neg = positive @ w, negative @ w
  expected = (positive.mean(0) - negative.mean(0)
              + alpha * 2 * ((e_pos[:, None] * positive).mean(0) + (e_neg[:, None] * negative).mean(0)))
  np.testing.assert_allclose(grad, expected, rtol=1e-5)
  stepped = w - 0.01 * grad
  assert (positive @ stepped).mean() < e_pos.mean() and (negative @ stepped).mean() > e_neg.mean()


def test_jem_smoke_config_trains_and_evaluates_through_the_command_line(tmp_path):
  """jem_digits:smoke with the 9s held out: test accuracy, the sample metrics with the class
  coverage, and the energy's anomaly AUROC in eval.json."""
  workdir = str(tmp_path / "jem")
  metrics = train_and_evaluate(
      os.path.join(EXPERIMENTS, "jem_digits.py") + ":smoke", workdir, *SMALL_IMAGE_MODEL,
      "data.exclude_labels=(9,)", "train.num_steps=4", "eval_every=4", "checkpoint_every=4",
      "eval.num_examples=64")
  assert 0 <= metrics["accuracy"] <= 1 and metrics["error"] == 1 - metrics["accuracy"]
  assert 0 <= metrics["anomaly_auroc"] <= 1 and metrics["fid"] > 0
  assert 0 <= metrics["min_class_frac"] <= 0.1 <= metrics["max_class_frac"] <= 1
  assert 1 <= metrics["num_classes_generated"] <= 10
  assert os.path.exists(os.path.join(workdir, "samples", "step_4.png"))
