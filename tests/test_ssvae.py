"""The ssvae family (M1+M2, Kingma et al. 2014): its bounds against NumPy/SciPy computations from
the same network outputs, the two training stages' gradients and updates, and the smoke config
through the command line."""

import math
import os

import jax
import jax.numpy as jnp
import numpy as np
import optax
from scipy import special, stats

from conftest import REPO, train_and_evaluate
from jaxgen import data as data_lib
from jaxgen.core import config as config_lib
from jaxgen.core.optim import staged_optimizer
from jaxgen.families.ssvae.experiment import make_experiment

jax.config.update("jax_default_matmul_precision", "highest")

SMOKE = os.path.join(REPO, "experiments", "ssvae_digits.py") + ":smoke"
SMALL = ("model.m1_hidden=(16,)", "model.m2_hidden=(16,)", "model.z1_dim=6", "model.z2_dim=3")
NUM_CLASSES = 10


def small_experiment(*overrides):
  config = config_lib.load_config(SMOKE)
  config_lib.apply_overrides(config, [*SMALL, *overrides])
  return make_experiment(config)


def batch_and_state(experiment, labels):
  """A batch of random 17-level images with ``labels``, and a state whose params are moved off
  their start (the last layers start at zero, where every class would look alike)."""
  rng = np.random.default_rng(0)
  images = rng.integers(0, 17, (len(labels), 8, 8, 1)) / 16
  batch = {"image": jnp.asarray(images, jnp.float32), "label": jnp.asarray(labels, jnp.int32)}
  state = jax.jit(experiment.init)(jax.random.PRNGKey(0), batch)
  moved = jax.tree.map(lambda p: p + 0.3 * rng.standard_normal(p.shape, np.float32), state.params)
  return batch, state.replace(params=moved)


def numpy_bounds(experiment, params, images, noise):
  """(q(y|z1) [B, Y], -L(z1, y) [B, Y]) in float64 from the networks' outputs: z1 and each z2
  reparameterized with ``noise``, log p(z1|y, z2) by SciPy, KL(q(z2|z1,y) || N(0, I)) in closed
  form, -log p(y) = log Y."""
  m1, m2 = experiment.m1, experiment.m2
  f64 = lambda a: np.asarray(a, np.float64)
  mean, log_std = map(f64, m1.apply({"params": params["m1"]}, images, method=m1.encode))
  z1 = mean + np.exp(log_std) * f64(noise["z1"])
  apply_m2 = lambda method, *args: map(f64, m2.apply({"params": params["m2"]}, *args,
                                                     method=method))
  q = special.softmax(f64(m2.apply({"params": params["m2"]}, z1, method=m2.classify)), axis=1)
  negative_bounds = np.zeros((len(z1), NUM_CLASSES))
  for y in range(NUM_CLASSES):
    onehot = np.tile(np.eye(NUM_CLASSES)[y], (len(z1), 1))
    q_mean, q_log_std = apply_m2(m2.encode, z1, onehot)
    q_std = np.exp(q_log_std)
    z2 = q_mean + q_std * f64(noise["z2"][y])
    p_mean, p_log_std = apply_m2(m2.decode, onehot, z2)
    log_p_z1 = stats.norm.logpdf(z1, p_mean, np.exp(p_log_std)).sum(1)
    kl = np.sum(-np.log(q_std) + (q_std ** 2 + q_mean ** 2 - 1) / 2, axis=1)
    negative_bounds[:, y] = -log_p_z1 + kl + math.log(NUM_CLASSES)
  return q, negative_bounds


def m2_stage_loss(experiment, params, batch, noise):
  step = jnp.asarray(experiment.m1_steps)
  loss, _ = jax.jit(experiment.objective)(params, batch["image"], batch["label"], noise, step)
  return np.asarray(loss, np.float64)


def test_unlabelled_bound_is_the_sum_over_classes_minus_the_entropy():
  experiment = small_experiment()
  batch, state = batch_and_state(experiment, [-1] * 6)
  params = state.params
  noise = experiment.draw_noise(jax.random.PRNGKey(2), 6)
  q, negative_bounds = numpy_bounds(experiment, params, batch["image"], noise)
  assert np.ptp(negative_bounds, axis=1).min() > 0.1  # the classes differ, so the sum is a test
  entropy = -np.sum(q * np.log(q), axis=1)
  expected = np.sum(q * negative_bounds, axis=1) - entropy
  np.testing.assert_allclose(m2_stage_loss(experiment, params, batch, noise), expected, rtol=1e-5)


def test_labelled_row_costs_its_bound_plus_alpha_times_its_cross_entropy():
  """A labelled row: -L(z1, y) + w (-log q(y|z1)), w = alpha N / N_l (alpha = 0.1 N in the
  paper's sum over the N training examples, of which N_l = 100 labelled); unlabelled rows of the
  same batch keep -U."""
  experiment = small_experiment()
  labels = np.array([3, -1, 0, 7, -1, 9])
  batch, state = batch_and_state(experiment, labels)
  params = state.params
  noise = experiment.draw_noise(jax.random.PRNGKey(3), len(labels))
  q, negative_bounds = numpy_bounds(experiment, params, batch["image"], noise)
  loss = m2_stage_loss(experiment, params, batch, noise)

  train_examples = data_lib.dataset_info("digits").num_examples["train"]
  weight = 0.1 * train_examples / (10 * NUM_CLASSES)
  rows = labels >= 0
  expected = (negative_bounds[rows, labels[rows]]
              - weight * np.log(q[rows, labels[rows]]))
  np.testing.assert_allclose(loss[rows], expected, rtol=1e-5)
  unlabelled = np.sum(q * (negative_bounds + np.log(q)), axis=1)[~rows]
  np.testing.assert_allclose(loss[~rows], unlabelled, rtol=1e-5)


def test_each_stage_gives_gradient_to_its_network_alone():
  """M1's stage: M2's parameters get zero gradient; M2's stage: M1's do."""
  experiment = small_experiment()
  batch, state = batch_and_state(experiment, [2, -1, -1, 5])
  rng = jax.random.PRNGKey(4)
  mean_loss = lambda params, step: jnp.mean(experiment.loss(params, {}, batch, rng, step)[0])
  gradient = jax.jit(jax.grad(mean_loss))
  nonzero = lambda tree: [bool(np.any(leaf != 0)) for leaf in jax.tree.leaves(tree)]
  for step, trained, frozen in ((0, "m1", "m2"), (experiment.m1_steps, "m2", "m1")):
    grads = gradient(state.params, jnp.asarray(step))
    assert not any(nonzero(grads[frozen])), (step, frozen)
    assert all(nonzero(grads[trained])), (step, trained)


def test_staged_optimizer_moves_only_the_network_of_the_stage():
  """Adam's momentum from M1's stage would move M1 on zero gradients; the staged optimizer
  leaves it where its stage ended, and starts M2's Adam afresh when M2's stage begins."""
  config = config_lib.load_config(SMOKE)
  config_lib.apply_overrides(config, ["optimizer.warmup_steps=0"])
  optimizer = staged_optimizer(config.optimizer, 2, 4, ("m1", "m2"))
  params = {"m1": jnp.ones(3), "m2": jnp.ones(3)}
  opt_state, update = optimizer.init(params), jax.jit(optimizer.update)
  moved = []
  for step in range(4):
    in_m1_stage = step < 2  # the loss's zero gradients for the frozen network
    grads = {"m1": jnp.full(3, 1.0 * in_m1_stage), "m2": jnp.full(3, 1.0 * (not in_m1_stage))}
    updates, opt_state = update(grads, opt_state, params)
    params = optax.apply_updates(params, updates)
    moved.append({name: bool(np.any(update != 0)) for name, update in updates.items()})
  assert moved == [{"m1": True, "m2": False}] * 2 + [{"m1": False, "m2": True}] * 2
  unmasked = optax.adam(1e-3)  # what the mask prevents: a step on a zero gradient
  state = unmasked.update(jnp.ones(3), unmasked.init(jnp.ones(3)))[1]
  assert np.all(unmasked.update(jnp.zeros(3), state)[0] != 0)


def test_smoke_config_trains_and_evaluates_through_the_command_line(tmp_path):
  workdir = str(tmp_path / "ssvae")
  metrics = train_and_evaluate(SMOKE, workdir, *SMALL)
  assert 0 <= metrics["accuracy"] <= 1 and metrics["error"] == 1 - metrics["accuracy"]
  assert all(math.isfinite(metrics[name]) for name in ("loss", "m1_negative_elbo",
                                                        "negative_elbo"))
  assert os.path.exists(os.path.join(workdir, "samples", "step_12.png"))
