"""The VAE's observation models p(x|z) ("decoders") by name (its Gaussian posterior and N(0, I)
prior are `jaxgen/nn/gaussian.py`).

An observation model reads the decoder's ``loc`` and ``log_scale`` (both [..., *data_shape];
``log_scale`` is None for Bernoulli) and gives element-wise log-probabilities, a mean and a
sample in data space. Register a new one with ``@register_decoder("name")`` on a factory
``(num_levels, value_range) -> observation model``, or name it by dotted path in
``config.model.decoder``.
"""

import dataclasses
from typing import Optional

import jax
import jax.numpy as jnp
import optax

from jaxgen.nn.discretized_logistic import DiscretizedLogistic
from jaxgen.nn.gaussian import LOG_2PI
from jaxgen.registry import Registry

DECODERS = Registry("decoder")
register_decoder = DECODERS.register


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
