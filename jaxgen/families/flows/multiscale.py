"""The multi-scale architecture: squeezing and factoring out (RealNVP sec. 3.6, Glow fig. 2b).

A scale squeezes the image (space -> channels), transforms it, then factors out half of the
channels: they go straight to the latent code, while the other half continues through the next,
coarser scale. Deep transformations thus run on fewer dimensions, and the factored-out half
models the fine detail. Here a scale is written as shape-preserving bijectors,

  Chain([Squeeze(), steps..., FactorOut(inner=next scale), Unsqueeze()]),

so the latent code z has the data's shape and ``inverse`` needs no shapes but z's own.
"""

import flax.linen as nn
import jax
import jax.numpy as jnp

from jaxgen.errors import ConfigError
from jaxgen.families.flows.bijectors import Bijector, sum_except_batch
from jaxgen.families.flows.networks import ZeroConv


def squeeze(x: jax.Array) -> jax.Array:
  """Each 2x2 block of pixels becomes one pixel of 4x the channels (Glow's ``squeeze2d``).
  x: [B, H, W, C] -> [B, H/2, W/2, 4C]."""
  b, h, w, c = x.shape
  if h % 2 or w % 2:
    raise ConfigError(f"squeezing needs an even height and width; got an image of {h}x{w} (use "
                      "fewer scales)")
  x = x.reshape(b, h // 2, 2, w // 2, 2, c).transpose(0, 1, 3, 5, 2, 4)
  return x.reshape(b, h // 2, w // 2, 4 * c)


def unsqueeze(y: jax.Array) -> jax.Array:
  """The inverse of ``squeeze``: y: [B, H, W, 4C] -> [B, 2H, 2W, C]."""
  b, h, w, c4 = y.shape
  c = c4 // 4
  y = y.reshape(b, h, w, c, 2, 2).transpose(0, 1, 4, 2, 5, 3)
  return y.reshape(b, 2 * h, 2 * w, c)


class Squeeze(Bijector):
  """``squeeze`` as a bijector (a permutation of the elements: log_det = 0)."""

  def forward(self, x: jax.Array) -> tuple[jax.Array, jax.Array]:
    return squeeze(x), jnp.zeros(x.shape[:1], x.dtype)

  def inverse(self, y: jax.Array) -> tuple[jax.Array, jax.Array]:
    return unsqueeze(y), jnp.zeros(y.shape[:1], y.dtype)


class Unsqueeze(Bijector):
  """``unsqueeze`` as a bijector: closes a scale opened by ``Squeeze``."""

  def forward(self, x: jax.Array) -> tuple[jax.Array, jax.Array]:
    return unsqueeze(x), jnp.zeros(x.shape[:1], x.dtype)

  def inverse(self, y: jax.Array) -> tuple[jax.Array, jax.Array]:
    return squeeze(y), jnp.zeros(y.shape[:1], y.dtype)


class FactorOut(Bijector):
  """Splits the channels into halves (x1, x2): x1 continues through ``inner`` (the coarser
  scales), x2 is factored out. x: [B, H, W, C] -> z = concat(inner(x1), z2): [B, H, W, C].

  Without a learned prior z2 = x2 (RealNVP: x2 is modelled by the N(0, I) base directly). With
  it (Glow's ``split2d``), x2 ~ N(mu(x1), sigma(x1)^2) with (mu, log sigma) from a zero-initialised
  3x3 convolution of x1; written as a bijection, ``z2 = (x2 - mu(x1)) / sigma(x1)`` before the
  N(0, I) base: the same density, and sampling at temperature T (z2 ~ N(0, T^2 I)) is Glow's
  ``eps_std``.
  """
  inner: Bijector
  learned_prior: bool = False

  @nn.compact
  def _prior(self, x1: jax.Array) -> tuple[jax.Array, jax.Array]:
    h = ZeroConv(2 * x1.shape[-1])(x1).reshape(*x1.shape, 2)
    return h[..., 0], h[..., 1]

  def forward(self, x: jax.Array) -> tuple[jax.Array, jax.Array]:
    x1, x2 = jnp.split(x, 2, axis=-1)
    y1, log_det = self.inner.forward(x1)
    if self.learned_prior:
      mean, log_std = self._prior(x1)
      x2 = (x2 - mean) * jnp.exp(-log_std)
      log_det = log_det - sum_except_batch(log_std)
    return jnp.concatenate([y1, x2], axis=-1), log_det

  def inverse(self, z: jax.Array) -> tuple[jax.Array, jax.Array]:
    y1, z2 = jnp.split(z, 2, axis=-1)
    x1, log_det = self.inner.inverse(y1)
    if self.learned_prior:
      mean, log_std = self._prior(x1)
      z2 = z2 * jnp.exp(log_std) + mean
      log_det = log_det + sum_except_batch(log_std)
    return jnp.concatenate([x1, z2], axis=-1), log_det
