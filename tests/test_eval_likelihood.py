"""bits/dim conversions, dequantized bits/dim, log-mean-exp and the IWAE bound."""

import math

import jax
import jax.numpy as jnp
import numpy as np
from scipy.special import logsumexp

from jaxgen.eval import (bits_per_dim_to_nats, data_range_log_det, dequantized_bits_per_dim,
                         iwae_bound, log_mean_exp, nats_to_bits_per_dim)


def test_nats_bits_round_trip():
  nats = np.random.default_rng(0).uniform(50, 5000, size=7)
  bpd = nats_to_bits_per_dim(nats, 784)
  np.testing.assert_allclose(bpd, nats / (784 * np.log(2)), rtol=1e-12)
  np.testing.assert_allclose(bits_per_dim_to_nats(bpd, 784), nats, rtol=1e-12)
  jitted = jax.jit(nats_to_bits_per_dim, static_argnums=1)(jnp.float32(3072.0), 3072)
  np.testing.assert_allclose(jitted, 1 / np.log(2), rtol=1e-6)


def test_dequantized_bits_per_dim_formula_and_uniform_density():
  rng = np.random.default_rng(1)
  log_density = rng.normal(size=5) * 100
  expected = (-log_density + 64 * np.log(17)) / (64 * np.log(2))
  np.testing.assert_allclose(dequantized_bits_per_dim(log_density, 64, 17), expected, rtol=1e-12)
  # The uniform density on [0, 1]^D costs log2(L) bits/dim; on [-1, 1]^D it has log p = -D ln 2,
  # and the [-1, 1] -> [0, 1] correction D ln 2 brings it back to the same number.
  np.testing.assert_allclose(dequantized_bits_per_dim(0.0, 3072, 256), 8.0, rtol=1e-12)
  log_det = data_range_log_det(3072, -1, 1)
  np.testing.assert_allclose(
      dequantized_bits_per_dim(-3072 * math.log(2), 3072, 256, log_det=log_det), 8.0, rtol=1e-12)


def test_log_mean_exp_is_stable_and_exact():
  rng = np.random.default_rng(2)
  with jax.enable_x64(True):
    for offset in (1000.0, -1000.0, 0.0):
      x = rng.normal(size=(6, 50)) * 5 + offset
      expected = logsumexp(x, axis=1) - np.log(50)
      np.testing.assert_allclose(log_mean_exp(jnp.asarray(x), axis=1), expected, rtol=1e-6)
  in_float32 = log_mean_exp(jnp.array([1000.0, 1000.0, 1000.0]), axis=0)
  assert np.isfinite(in_float32) and abs(float(in_float32) - 1000.0) < 1e-3
  assert float(log_mean_exp(jnp.array([-1000.0, -1000.0]), axis=0)) == -1000.0


def test_iwae_bound_of_equal_weights_is_the_weight():
  weights = jnp.full((100, 3), -87.25)
  np.testing.assert_allclose(iwae_bound(weights, axis=0), np.full(3, -87.25), rtol=1e-6)
  jitted = jax.jit(iwae_bound, static_argnums=1)(weights.T, 1)
  np.testing.assert_allclose(jitted, np.full(3, -87.25), rtol=1e-6)


def test_iwae_bound_tightens_with_more_samples():
  # Jensen: log of the mean over all K weights >= mean of the logs of means over sub-blocks.
  log_weights = np.random.default_rng(3).normal(size=(64, 10)) * 3 - 90
  with jax.enable_x64(True):
    full = np.asarray(iwae_bound(jnp.asarray(log_weights), axis=0))
    for block in (1, 4, 16):
      blocked = jnp.asarray(log_weights.reshape(64 // block, block, 10))
      blocks = np.asarray(iwae_bound(blocked, axis=1))
      assert np.all(full >= blocks.mean(axis=0))
    np.testing.assert_allclose(full, logsumexp(log_weights, axis=0) - np.log(64), rtol=1e-6)
