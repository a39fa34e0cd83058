"""The VAE's distributions: the Gaussian posterior q(z|x), the N(0, I) prior, and the observation
models p(x|z) ("decoders") by name.

An observation model reads the decoder's ``loc`` and ``log_scale`` (both [..., *data_shape];
``log_scale`` is None for Bernoulli) and gives element-wise log-probabilities, a mean and a
sample in data space. Register a new one with ``@register_decoder("name")`` on a factory
``(num_levels, value_range) -> observation model``, or name it by dotted path in
``config.model.decoder``.
"""

import dataclasses
import math
from typing import Optional

import jax
import jax.numpy as jnp
import optax

from jaxgen.nn.discretized_logistic import DiscretizedLogistic
from jaxgen.registry import Registry

LOG_2PI = math.log(2.0 * math.pi)

DECODERS = Registry("decoder")
register_decoder = DECODERS.register


def reparameterize(mean: jax.Array, log_std: jax.Array, noise: jax.Array) -> jax.Array:
  """``z = mean + exp(log_std) * noise``, noise ~ N(0, I) (Kingma & Welling 2014, eq. 13).

  mean, log_std: [B, K]; noise: [S, B, K] -> z: [S, B, K]. z is a differentiable function of
  (mean, log_std), which is what makes the ELBO's gradient a low-variance pathwise estimate.
  """
  return mean + jnp.exp(log_std) * noise


def diagonal_gaussian_log_prob(z: jax.Array, mean: jax.Array, log_std: jax.Array) -> jax.Array:
  """``log N(z; mean, diag(exp(2 log_std)))`` summed over the last axis. [..., K] -> [...]."""
  standardized = (z - mean) * jnp.exp(-log_std)
  return -0.5 * jnp.sum(jnp.square(standardized) + 2.0 * log_std + LOG_2PI, axis=-1)


def standard_normal_log_prob(z: jax.Array) -> jax.Array:
  """``log N(z; 0, I)`` summed over the last axis: the prior p(z). [..., K] -> [...]."""
  return -0.5 * jnp.sum(jnp.square(z) + LOG_2PI, axis=-1)


def gaussian_kl(mean: jax.Array, log_std: jax.Array) -> jax.Array:
  """Per-unit ``KL(N(mean, s^2) || N(0, 1)) = (mean^2 + s^2 - 1) / 2 - log s``, s = exp(log_std).

  The analytic KL of Kingma & Welling 2014, Appendix B. [B, K] -> [B, K] (sum over K for the
  total; free bits needs the units separately).
  """
  return 0.5 * (jnp.square(mean) + jnp.exp(2.0 * log_std) - 1.0) - log_std


@dataclasses.dataclass(frozen=True)
class Bernoulli:
  """``p(x|z) = prod_d p_d^x_d (1 - p_d)^(1 - x_d)``, p = sigmoid(loc): binary data in {0, 1}."""
  has_scale = False
  discrete = True

  def log_prob(self, loc: jax.Array, log_scale: None, x: jax.Array) -> jax.Array:
    del log_scale
    return -optax.sigmoid_binary_cross_entropy(loc, x)

  def mean(self, loc: jax.Array, log_scale: None) -> jax.Array:
    return jax.nn.sigmoid(loc)

  def sample(self, loc: jax.Array, log_scale: None, rng: jax.Array) -> jax.Array:
    return jax.random.bernoulli(rng, jax.nn.sigmoid(loc)).astype(loc.dtype)


@dataclasses.dataclass(frozen=True)
class Gaussian:
  """``p(x|z) = prod_d N(x_d; loc_d, exp(2 log_scale_d))``: a density of continuous data.

  ``value_range`` (images) clips means and samples into the data's range; None for points.
  """
  value_range: Optional[tuple[float, float]]
  has_scale = True
  discrete = False

  def log_prob(self, loc: jax.Array, log_scale: jax.Array, x: jax.Array) -> jax.Array:
    return -0.5 * (jnp.square((x - loc) * jnp.exp(-log_scale)) + 2.0 * log_scale + LOG_2PI)

  def _clip(self, x: jax.Array) -> jax.Array:
    return x if self.value_range is None else jnp.clip(x, *self.value_range)

  def mean(self, loc: jax.Array, log_scale: jax.Array) -> jax.Array:
    return self._clip(loc)

  def sample(self, loc: jax.Array, log_scale: jax.Array, rng: jax.Array) -> jax.Array:
    return self._clip(loc + jnp.exp(log_scale) * jax.random.normal(rng, loc.shape, loc.dtype))


@register_decoder("bernoulli")
def _bernoulli(num_levels, value_range):
  return Bernoulli()


@register_decoder("gaussian")
def _gaussian(num_levels, value_range):
  return Gaussian(value_range)


@register_decoder("discretized_logistic")
def _discretized_logistic(num_levels, value_range):
  return DiscretizedLogistic(num_levels, value_range)
