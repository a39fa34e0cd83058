import math

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from jaxgen.core import config as config_lib
from jaxgen.core.optim import learning_rate_schedule, make_optimizer
from jaxgen.errors import ConfigError, UnknownNameError


def optimizer_config(**changes):
  c = config_lib.base_config().optimizer
  c.update(changes)
  return c


def test_warmup_then_cosine_matches_closed_form():
  c = optimizer_config(learning_rate=1e-3, schedule="cosine", warmup_steps=10, final_lr_factor=0.1)
  schedule = learning_rate_schedule(c, num_steps=110)
  for step in (0, 5, 10, 60, 109):
    if step < 10:
      expected = 1e-3 * step / 10
    else:
      progress = (step - 10) / 100
      expected = 1e-3 * (0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * progress)))
    assert float(schedule(step)) == pytest.approx(expected, rel=1e-5, abs=1e-9)


def test_linear_decay_reaches_final_factor():
  c = optimizer_config(learning_rate=2.0, schedule="linear", final_lr_factor=0.25)
  schedule = learning_rate_schedule(c, num_steps=100)
  assert float(schedule(0)) == pytest.approx(2.0)
  assert float(schedule(50)) == pytest.approx(1.25)
  assert float(schedule(100)) == pytest.approx(0.5)


def test_gradient_clipping_and_plain_sgd_step():
  c = optimizer_config(name="sgd", learning_rate=0.1, grad_clip_norm=1.0)
  optimizer = make_optimizer(c, 10)
  params = {"w": jnp.zeros(2)}
  grads = {"w": jnp.array([3.0, 4.0])}  # norm 5 -> clipped to norm 1
  updates, _ = optimizer.update(grads, optimizer.init(params), params)
  np.testing.assert_allclose(updates["w"], -0.1 * np.array([0.6, 0.8]), rtol=1e-6)


def test_unknown_optimizer_and_schedule_are_clear_errors():
  with pytest.raises(UnknownNameError, match="valid: adam, adamw, rmsprop, sgd"):
    make_optimizer(optimizer_config(name="adamax"), 10)
  with pytest.raises(ConfigError, match="valid: constant, cosine, linear"):
    make_optimizer(optimizer_config(schedule="step"), 10)
