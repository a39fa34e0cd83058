"""Likelihood bookkeeping: nats <-> bits/dim, dequantized bits/dim, log-mean-exp and the IWAE bound.

The bits/dim helpers are plain arithmetic on their arguments (Python floats, numpy or jax arrays,
per example or averaged): jit-able, and they keep the caller's dtype. ``log_mean_exp`` and
``iwae_bound`` are jitted jnp functions in jax's default dtype (float64 under ``jax.enable_x64``).
"""

import functools
import math

import jax
import jax.numpy as jnp

LN2 = math.log(2.0)


def nats_to_bits_per_dim(nats, num_dims: int):
  """Negative log-likelihood in nats (per example) -> bits per dimension: ``nats / (D ln 2)``."""
  return nats / (num_dims * LN2)


def bits_per_dim_to_nats(bits_per_dim, num_dims: int):
  """Bits per dimension -> negative log-likelihood in nats per example: ``bpd D ln 2``."""
  return bits_per_dim * num_dims * LN2


def data_range_log_det(num_dims: int, low: float, high: float) -> float:
  """``log |det|`` of the affine map from [0, 1] data to [low, high] data: ``D ln(high - low)``.

  A model of ``y = low + (high - low) x`` has
  ``log p_[0,1](x) = log p_[low,high](y) + D ln(high - low)``; e.g. a model of [-1, 1] data needs
  ``+ D ln 2``. Pass it as ``log_det`` to ``dequantized_bits_per_dim``.
  """
  return num_dims * math.log(high - low)


def dequantized_bits_per_dim(log_density, num_dims: int, num_levels: int, log_det=0.0):
  """Bits/dim of discrete data under a continuous density with uniform dequantization (Glow).

  Convention (Glow ``model.py``): discrete values ``v in {0, ..., L-1}`` become
  ``x = (v + u) / L`` with ``u ~ U(0, 1)^D``, so each of the L bins has width 1 / L and ``x``
  fills [0, 1]. ``log_density`` is the continuous log-density of ``x`` in nats; averaged over
  ``u``, ``log p(x) - D ln L`` lower-bounds the discrete log-likelihood (Theis et al. 2016), so
  ``bpd = (-(log_density + log_det) + D ln L) / (D ln 2)`` upper-bounds the discrete bits/dim.

  Args:
    log_density: log-density in nats per example of the data in the model's space.
    num_dims: D, dimensions per example (e.g. H * W * C).
    num_levels: L, discrete levels per dimension (256 for 8-bit images, 17 for sklearn digits).
    log_det: ``log |det d(model space) / d([0, 1] space)|`` per example, 0 when the model sees
      [0, 1] data; ``data_range_log_det(D, -1, 1)`` for a model of [-1, 1] data, or any per-example
      log-det of a preprocessing bijection (e.g. RealNVP's logit).
  """
  negative_log_likelihood = -(log_density + log_det) + num_dims * math.log(num_levels)
  return nats_to_bits_per_dim(negative_log_likelihood, num_dims)


@functools.partial(jax.jit, static_argnames="axis")
def log_mean_exp(x: jax.Array, axis: int) -> jax.Array:
  """``log mean_i exp(x_i)`` along ``axis``; max-shifted (jax.nn.logsumexp), stable at +-1000."""
  return jax.nn.logsumexp(x, axis=axis) - jnp.log(x.shape[axis])


def iwae_bound(log_weights: jax.Array, axis: int) -> jax.Array:
  """Importance-weighted bound (Burda et al. 2016): ``log mean_k w_k`` along the K axis.

  ``log_weights = log p(x, z_k) - log q(z_k | x)`` with ``z_k ~ q(z | x)``, shaped [K, B]
  (``axis=0``) or [B, K] (``axis=1``); returns the [B] per-example bounds on ``log p(x)``. The
  bound tightens as K grows (the paper evaluates with K = 5000).
  """
  return log_mean_exp(log_weights, axis)
