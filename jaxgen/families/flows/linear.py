"""Glow's invertible 1x1 convolution, plain and LU-decomposed (Kingma & Dhariwal 2018, sec. 3.2).

A learned invertible C x C matrix W mixes the channels at every position: ``y = x W``, with
log_det = H * W_spatial * log |det W| (on vectors [B, D] the same map is a dense invertible linear
layer, counted once). It generalises the fixed channel permutations between RealNVP's couplings.
"""

import flax.linen as nn
import jax
import jax.numpy as jnp

from jaxgen.families.flows.bijectors import Bijector, spatial_size


class Invertible1x1Conv(Bijector):
  """``y = x W`` over the last axis. Both variants start at a random rotation (log |det W| = 0).

  ``lu=False``: W is one parameter; log |det W| by ``slogdet``, O(C^3).
  ``lu=True``: ``W = P L (U + diag(sign(s) * exp(log|s|)))`` (Glow eq. 10), with P the permutation
  and sign(s) of the LU decomposition of the initial rotation kept fixed (the ``constants``
  collection, carried in the train state's ``model_state``), L unit lower triangular, U strictly
  upper triangular and log|s| learned: log |det W| = sum log|s|, O(C).
  """
  lu: bool = False

  @nn.compact
  def _weight(self, x: jax.Array) -> tuple[jax.Array, jax.Array]:
    """-> (W [C, C], log |det W|)."""
    channels = x.shape[-1]
    if not self.lu:
      weight = self.param("kernel", nn.initializers.orthogonal(), (channels, channels))
      return weight, jnp.linalg.slogdet(weight)[1]
    if self.is_initializing():
      rotation = nn.initializers.orthogonal()(self.make_rng("params"), (channels, channels))
      p, l, u = jax.scipy.linalg.lu(rotation)
    else:  # The variables exist; Flax only checks the shapes of their initialisers' outputs.
      p = l = u = jnp.zeros((channels, channels), x.dtype)
    permutation = self.variable("constants", "permutation", lambda: p).value
    sign = self.variable("constants", "sign", lambda: jnp.sign(jnp.diag(u))).value
    lower = self.param("lower", lambda rng: jnp.tril(l, -1))
    upper = self.param("upper", lambda rng: jnp.triu(u, 1))
    log_abs_s = self.param("log_abs_s", lambda rng: jnp.log(jnp.abs(jnp.diag(u))))
    eye = jnp.eye(channels, dtype=x.dtype)
    unit_lower = jnp.tril(lower, -1) + eye
    upper_with_diagonal = jnp.triu(upper, 1) + jnp.diag(sign * jnp.exp(log_abs_s))
    return permutation @ unit_lower @ upper_with_diagonal, jnp.sum(log_abs_s)

  def forward(self, x: jax.Array) -> tuple[jax.Array, jax.Array]:
    weight, log_abs_det = self._weight(x)
    return x @ weight, jnp.full(x.shape[:1], spatial_size(x) * log_abs_det)

  def inverse(self, y: jax.Array) -> tuple[jax.Array, jax.Array]:
    weight, log_abs_det = self._weight(y)
    return y @ jnp.linalg.inv(weight), jnp.full(y.shape[:1], -spatial_size(y) * log_abs_det)
