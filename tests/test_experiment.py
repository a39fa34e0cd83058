"""The shared pieces of jaxgen.core.experiment: optimizer step, EMA, masked means."""

import jax.numpy as jnp
import numpy as np
import optax

from jaxgen.core.experiment import apply_gradients, init_train_state, masked_mean


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


def test_masked_mean_ignores_padding():
  values = jnp.array([1.0, 2.0, 3.0, 100.0])
  assert float(masked_mean(values, jnp.array([1.0, 1.0, 1.0, 0.0]))) == 2.0
