"""Element-wise bijectors: NICE's diagonal scaling, Glow's actnorm, RealNVP's logit transform."""

import math

import flax.linen as nn
import jax
import jax.numpy as jnp

from jaxgen.families.flows.bijectors import Bijector, spatial_size, sum_except_batch


class DiagonalScaling(Bijector):
  """NICE's scaling layer (Dinh et al. 2015, sec. 3.3): ``y = x * exp(s)`` with one learned
  log-scale per dimension (the last layer of NICE; additive couplings alone preserve volume).
  log_det = sum s."""

  @nn.compact
  def _log_scale(self, x: jax.Array) -> jax.Array:
    return self.param("log_scale", nn.initializers.zeros, x.shape[1:])

  def forward(self, x: jax.Array) -> tuple[jax.Array, jax.Array]:
    log_scale = self._log_scale(x)
    return x * jnp.exp(log_scale), jnp.full(x.shape[:1], jnp.sum(log_scale))

  def inverse(self, y: jax.Array) -> tuple[jax.Array, jax.Array]:
    log_scale = self._log_scale(y)
    return y * jnp.exp(-log_scale), jnp.full(y.shape[:1], -jnp.sum(log_scale))


class ActNorm(Bijector):
  """Glow's activation normalisation (Kingma & Dhariwal 2018, sec. 3.1, Table 1):
  ``y = (x + bias) * exp(log_scale)`` per channel (the last axis), log_det = H * W * sum log_scale.

  ``data_init``: the parameters are initialised from the batch of the first forward call (the
  batch ``init`` sees) so that y has zero mean and unit variance per channel there; they are
  ordinary parameters afterwards, trained and checkpointed like any other, so nothing is
  re-initialised on restore. Without it the layer starts as the identity: Glow's learned top
  prior N(mu_c, sigma_c^2) is this layer without data-dependent init, before N(0, I).
  """
  data_init: bool = True
  epsilon: float = 1e-6

  @nn.compact
  def _bias_and_log_scale(self, x: jax.Array) -> tuple[jax.Array, jax.Array]:
    channels = x.shape[-1]
    axes = tuple(range(x.ndim - 1))
    if self.data_init:
      # Initialisers see the batch: only evaluated inside ``init``.
      bias_init = lambda rng, shape: -jnp.mean(x, axis=axes)
      log_scale_init = lambda rng, shape: -jnp.log(jnp.std(x, axis=axes) + self.epsilon)
    else:
      bias_init = log_scale_init = nn.initializers.zeros
    return (self.param("bias", bias_init, (channels,)),
            self.param("log_scale", log_scale_init, (channels,)))

  def forward(self, x: jax.Array) -> tuple[jax.Array, jax.Array]:
    bias, log_scale = self._bias_and_log_scale(x)
    log_det = spatial_size(x) * jnp.sum(log_scale)
    return (x + bias) * jnp.exp(log_scale), jnp.full(x.shape[:1], log_det)

  def inverse(self, y: jax.Array) -> tuple[jax.Array, jax.Array]:
    bias, log_scale = self._bias_and_log_scale(y)
    log_det = -spatial_size(y) * jnp.sum(log_scale)
    return y * jnp.exp(-log_scale) - bias, jnp.full(y.shape[:1], log_det)


class Logit(Bijector):
  """RealNVP's preprocessing (Dinh et al. 2017, sec. 4.1): data x in [0, 1] ->
  ``y = logit(alpha + (1 - 2 alpha) x)``, so the flow models an unbounded variable and the
  boundary of [0, 1] costs no density; alpha keeps the logit finite at 0 and 1.
  log_det = sum [log(1 - 2 alpha) - log p - log(1 - p)] with p = alpha + (1 - 2 alpha) x.
  The inverse maps the real line onto (-alpha, 1 - alpha) / (1 - 2 alpha), slightly wider than
  [0, 1]: the flow may put a little mass outside the data's range."""
  alpha: float = 0.05

  def forward(self, x: jax.Array) -> tuple[jax.Array, jax.Array]:
    p = self.alpha + (1.0 - 2.0 * self.alpha) * x
    y = jnp.log(p) - jnp.log1p(-p)
    log_det = sum_except_batch(math.log(1.0 - 2.0 * self.alpha) - jnp.log(p) - jnp.log1p(-p))
    return y, log_det

  def inverse(self, y: jax.Array) -> tuple[jax.Array, jax.Array]:
    p = jax.nn.sigmoid(y)
    x = (p - self.alpha) / (1.0 - 2.0 * self.alpha)
    # dp/dy = p (1 - p), computed from log-sigmoids to stay finite for large |y|.
    log_dp = jax.nn.log_sigmoid(y) + jax.nn.log_sigmoid(-y)
    log_det = sum_except_batch(log_dp - math.log(1.0 - 2.0 * self.alpha))
    return x, log_det
