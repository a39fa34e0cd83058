"""The discretized logistic distribution over an image's grey levels: the VAE's and PixelCNN's
observation model (one channel; mixtures are built from it)."""

import dataclasses

import jax
import jax.numpy as jnp


@dataclasses.dataclass(frozen=True)
class DiscretizedLogistic:
  """A logistic distribution discretized to the data's ``num_levels`` levels (Salimans et al.
  2017, PixelCNN++; Kingma et al. 2016, IAF).

  Level v sits at ``c_v = low + 2 h v`` with bin half-width ``h = (high - low) / (2 (L - 1))``;
  ``P(v) = F(c_v + h) - F(c_v - h)`` with F the logistic CDF of (loc, s = exp(log_scale)), the
  edge bins open to -inf and +inf so the L probabilities sum to 1. With a = (c_v - h - loc) / s
  and b = (c_v + h - loc) / s the interior bins are computed in log space as

      log P(v) = log sigmoid(b) + log sigmoid(-a) + log(1 - exp(-2 h / s)),

  an identity of ``sigmoid(b) - sigmoid(a)`` that never subtracts two nearly equal numbers.
  """
  num_levels: int
  value_range: tuple[float, float]
  has_scale = True
  discrete = True

  @property
  def half_width(self) -> float:
    low, high = self.value_range
    return (high - low) / (2.0 * (self.num_levels - 1))

  def log_prob(self, loc: jax.Array, log_scale: jax.Array, x: jax.Array) -> jax.Array:
    """x on the level grid (as the data pipeline gives it without dequantization)."""
    low, high = self.value_range
    h = self.half_width
    inverse_scale = jnp.exp(-log_scale)
    a = (x - h - loc) * inverse_scale
    b = (x + h - loc) * inverse_scale
    log_bin_width = jnp.log(-jnp.expm1(-2.0 * h * inverse_scale))
    interior = jax.nn.log_sigmoid(b) + jax.nn.log_sigmoid(-a) + log_bin_width
    first, last = x < low + h, x > high - h  # Midway to the neighbouring level: robust to rounding.
    return jnp.where(first, jax.nn.log_sigmoid(b), jnp.where(last, jax.nn.log_sigmoid(-a), interior))

  def mean(self, loc: jax.Array, log_scale: jax.Array) -> jax.Array:
    """The location clipped to the data range: the mean of the discretized distribution up to
    the mass that the open edge bins pile at the ends."""
    return jnp.clip(loc, *self.value_range)

  def sample(self, loc: jax.Array, log_scale: jax.Array, rng: jax.Array) -> jax.Array:
    """A logistic draw rounded to the nearest level and clipped: exactly a draw of P(v)."""
    low, high = self.value_range
    u = jax.random.uniform(rng, loc.shape, loc.dtype, minval=1e-6, maxval=1.0 - 1e-6)
    continuous = loc + jnp.exp(log_scale) * (jnp.log(u) - jnp.log1p(-u))
    step = 2.0 * self.half_width
    return jnp.clip(low + step * jnp.round((continuous - low) / step), low, high)
