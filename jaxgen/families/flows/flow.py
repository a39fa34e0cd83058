"""A normalizing flow: a bijector f from data to latent codes over a base distribution.

Change of variables (NICE eq. 3, RealNVP eq. 3): with z = f(x),

  log p(x) = log p_Z(f(x)) + log |det df/dx|,

and a sample is x = f^-1(z), z ~ p_Z. The base p_Z factorises over the dimensions: a standard
normal, or NICE's standard logistic. Sampling at temperature T draws z from the base scaled by T
(Glow sec. 5: for a normal base, z ~ N(0, T^2 I)), trading diversity for fidelity when T < 1.
"""

import math

import flax.linen as nn
import jax
import jax.numpy as jnp

from jaxgen.errors import UnknownNameError
from jaxgen.families.flows.bijectors import Bijector, sum_except_batch

BASES = ("normal", "logistic")
LOG_2PI = math.log(2.0 * math.pi)


def base_log_prob(z: jax.Array, base: str) -> jax.Array:
  """log p_Z(z) summed over the dimensions: [B, ...] -> [B]."""
  if base == "normal":
    return sum_except_batch(-0.5 * (jnp.square(z) + LOG_2PI))
  if base == "logistic":  # log sigma(z) + log sigma(-z), NICE sec. 3.4
    return sum_except_batch(jax.nn.log_sigmoid(z) + jax.nn.log_sigmoid(-z))
  raise UnknownNameError(f"unknown base distribution {base!r}; valid: {', '.join(BASES)}")


def base_sample(rng: jax.Array, shape: tuple, base: str) -> jax.Array:
  """A draw of ``shape`` from p_Z."""
  if base == "normal":
    return jax.random.normal(rng, shape)
  if base == "logistic":
    return jax.random.logistic(rng, shape)
  raise UnknownNameError(f"unknown base distribution {base!r}; valid: {', '.join(BASES)}")


class Flow(nn.Module):
  """``bijector`` maps data x: [B, *event_shape] to codes z of the same shape.

  ``encode`` x -> (z, log_det); ``decode`` z -> x; ``log_prob`` x -> [B] nats;
  ``sample`` -> [num, *event_shape]. Initialise through ``log_prob`` (or ``encode``) on a batch
  of data: data-dependent initialisation (actnorm) reads that batch.
  """
  bijector: Bijector
  event_shape: tuple
  base: str = "normal"

  def encode(self, x: jax.Array) -> tuple[jax.Array, jax.Array]:
    return self.bijector.forward(x)

  def decode(self, z: jax.Array) -> jax.Array:
    return self.bijector.inverse(z)[0]

  def log_prob_terms(self, x: jax.Array) -> tuple[jax.Array, jax.Array]:
    """-> (log p_Z(f(x)), log |det df/dx|): [B] each; their sum is log p(x)."""
    z, log_det = self.encode(x)
    return base_log_prob(z, self.base), log_det

  def log_prob(self, x: jax.Array) -> jax.Array:
    return sum(self.log_prob_terms(x))

  def sample(self, rng: jax.Array, num: int, temperature: float = 1.0) -> jax.Array:
    return self.decode(temperature * base_sample(rng, (num, *self.event_shape), self.base))
