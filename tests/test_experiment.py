"""The shared pieces of jaxgen.core.experiment: optimizer step, EMA, the generic loss step,
skipping non-finite updates."""

import jax.numpy as jnp
import numpy as np
import optax

import jax

from jaxgen.core.experiment import (apply_gradients, init_train_state, loss_train_step,
                                    skipping_nonfinite)


def test_apply_gradients_updates_params_ema_and_step_like_the_formulas():
  params = {"w": jnp.array([1.0, -2.0])}
  optimizer = optax.sgd(0.5)
  state = init_train_state(params, optimizer, ema_decay=0.9)
  ema = np.array([1.0, -2.0])
  w = np.array([1.0, -2.0])
  for grad in ([1.0, 1.0], [0.0, 4.0]):
    state, norms = apply_gradients(state, {"w": jnp.array(grad)}, optimizer, 0.9)
    w = w - 0.5 * np.array(grad)
    ema = 0.9 * ema + 0.1 * w
    np.testing.assert_allclose(norms["grad_norm"], np.linalg.norm(grad), rtol=1e-6)
  np.testing.assert_allclose(state.params["w"], w, rtol=1e-6)
  np.testing.assert_allclose(state.ema_params["w"], ema, rtol=1e-6)
  np.testing.assert_allclose(state.eval_params["w"], ema, rtol=1e-6)
  assert int(state.step) == 2


def test_without_ema_eval_params_are_the_params():
  state = init_train_state({"w": jnp.ones(2)}, optax.adam(1e-3), ema_decay=0.0)
  assert state.ema_params is None and state.eval_params is state.params


def squared_error(params, model_state, batch, rng, step):
  """Per-example (w x - y)^2 with an aux term per example and a scalar one (the step)."""
  error = params["w"] * batch["x"] - batch["y"]
  return jnp.square(error), {"error": error, "step_seen": step.astype(jnp.float32)}


def test_the_generic_step_descends_the_batch_mean_of_the_per_example_loss():
  x, y = np.array([1.0, 2.0, 3.0]), np.array([2.0, 0.0, -1.0])
  optimizer = optax.sgd(0.1)
  state = init_train_state({"w": jnp.array(0.5)}, optimizer, ema_decay=0.0)
  state = state.replace(step=jnp.array(7, jnp.int32))
  batch = {"x": jnp.asarray(x), "y": jnp.asarray(y)}
  new_state, metrics = jax.jit(lambda s, b, r: loss_train_step(squared_error, optimizer, 0.0, s, b, r))(
      state, batch, jax.random.PRNGKey(0))
  error = 0.5 * x - y
  gradient = np.mean(2.0 * error * x)  # d/dw of the batch mean
  np.testing.assert_allclose(new_state.params["w"], 0.5 - 0.1 * gradient, rtol=1e-6)
  np.testing.assert_allclose(metrics["loss"], np.mean(error ** 2), rtol=1e-6)
  np.testing.assert_allclose(metrics["error"], np.mean(error), rtol=1e-6)
  np.testing.assert_allclose(metrics["grad_norm"], abs(gradient), rtol=1e-6)
  assert float(metrics["step_seen"]) == 7.0 and int(new_state.step) == 8


def test_a_non_finite_update_is_skipped_but_the_step_advances():
  optimizer = optax.sgd(0.1)
  step = skipping_nonfinite(lambda s, b, r: loss_train_step(squared_error, optimizer, 0.0, s, b, r))
  state = init_train_state({"w": jnp.array(0.5)}, optimizer, ema_decay=0.0)
  bad = {"x": jnp.array([1.0, jnp.nan]), "y": jnp.array([0.0, 0.0])}
  new_state, metrics = jax.jit(step)(state, bad, jax.random.PRNGKey(0))
  assert float(new_state.params["w"]) == 0.5 and int(new_state.step) == 1
  assert float(metrics["skipped_updates"]) == 1.0 and float(metrics["loss"]) == 0.0
  good = {"x": jnp.array([1.0, 2.0]), "y": jnp.array([0.0, 0.0])}
  new_state, metrics = jax.jit(step)(new_state, good, jax.random.PRNGKey(0))
  assert float(new_state.params["w"]) != 0.5 and float(metrics["skipped_updates"]) == 0.0
