"""Gaussian probability paths x_t = alpha_t x_0 + sigma_t eps, t in [0, 1], data at t = 0 and noise
at t = 1 (the rectified-flow convention; Lipman et al. 2023 run time the other way).

Every path gives alpha, sigma and their time derivatives in closed form, which is all the
objectives and samplers need:

- the conditional velocity u_t = alpha'_t x_0 + sigma'_t eps (the flow-matching target);
- the forward SDE dx = f_t x dt + g_t dW with f = alpha' / alpha and g^2 = (sigma^2)' - 2 f sigma^2
  (Kingma et al. 2021, App. A; Song et al. 2021 for VP and VE), whose probability-flow ODE is
  dx/dt = alpha' x0_hat + sigma' eps_hat.

Register a path with ``@register_path("name")``: a function of the config's ``path`` group that
returns a ``GaussianPath``.
"""

import dataclasses
import math
from typing import Callable

import jax
import jax.numpy as jnp
import ml_collections

from jaxgen.registry import Registry

PATHS = Registry("probability path")
register_path = PATHS.register

Schedule = Callable[[jax.Array], jax.Array]  # t [B] -> [B]


@dataclasses.dataclass(frozen=True, eq=False)
class GaussianPath:
  """alpha_t and sigma_t with their derivatives, each a function t [...] -> [...]."""
  alpha: Schedule
  sigma: Schedule
  d_alpha: Schedule
  d_sigma: Schedule
  t_min: float  # where samplers stop and the likelihood starts (sigma may vanish at 0)
  has_sde: bool  # alpha_1 > 0: the forward SDE and its reverse exist on all of [0, 1]

  def noise_ratio(self, t: jax.Array) -> jax.Array:
    """sigma_t / alpha_t: Karras et al.'s (2022) sigma of the scaled variable x / alpha."""
    return self.sigma(t) / self.alpha(t)

  def t_of_noise_ratio(self, ratio: jax.Array) -> jax.Array:
    """The inverse of ``noise_ratio`` (monotone in t), by 60 bisection steps on [0, 1]."""

    def halve(_, bounds):
      low, high = bounds
      middle = 0.5 * (low + high)
      above = self.noise_ratio(middle) > ratio
      return jnp.where(above, low, middle), jnp.where(above, middle, high)

    low, high = jax.lax.fori_loop(0, 60, halve, (jnp.zeros_like(ratio), jnp.ones_like(ratio)))
    return 0.5 * (low + high)

  def sample(self, x0: jax.Array, t: jax.Array, noise: jax.Array) -> jax.Array:
    """x_t for x0, noise [B, ...] and t [B]."""
    return expand(self.alpha(t), x0) * x0 + expand(self.sigma(t), x0) * noise

  def drift_diffusion(self, t: jax.Array) -> tuple[jax.Array, jax.Array]:
    """(f_t, g_t^2) of the forward SDE dx = f x dt + g dW."""
    drift = self.d_alpha(t) / self.alpha(t)
    return drift, 2.0 * self.sigma(t) * self.d_sigma(t) - 2.0 * drift * jnp.square(self.sigma(t))


def expand(values: jax.Array, like: jax.Array) -> jax.Array:
  """[B] -> [B, 1, ..., 1] broadcastable against ``like``."""
  return values.reshape(values.shape + (1,) * (like.ndim - values.ndim))


@register_path("ot")
def optimal_transport(c: ml_collections.ConfigDict) -> GaussianPath:
  """The conditional optimal-transport path (Lipman et al. 2023, eq. 20), time reversed:
  alpha = 1 - t, sigma = sigma_min + (1 - sigma_min) t. With sigma_min = 0 (``path.sigma_min``)
  it is rectified flow's straight line between data and noise (Liu et al. 2023), target eps - x0."""
  s = c.sigma_min
  return GaussianPath(alpha=lambda t: 1.0 - t, sigma=lambda t: s + (1.0 - s) * t,
                      d_alpha=lambda t: -jnp.ones_like(t), d_sigma=lambda t: (1.0 - s) * jnp.ones_like(t),
                      t_min=c.t_min, has_sde=False)


@register_path("vp")
def variance_preserving(c: ml_collections.ConfigDict) -> GaussianPath:
  """The VP SDE (Song et al. 2021, eq. 11) with beta(t) = beta_min + t (beta_max - beta_min):
  log alpha_t = -t^2 (beta_max - beta_min) / 4 - t beta_min / 2, sigma_t = sqrt(1 - alpha_t^2);
  DDPM's linear schedule in the limit T -> infinity for beta 0.1 -> 20 (``path.beta_min/max``)."""
  low, high = c.beta_min, c.beta_max
  log_alpha = lambda t: -0.25 * jnp.square(t) * (high - low) - 0.5 * t * low
  d_log_alpha = lambda t: -0.5 * (low + t * (high - low))
  alpha = lambda t: jnp.exp(log_alpha(t))
  sigma = lambda t: jnp.sqrt(-jnp.expm1(2.0 * log_alpha(t)))  # 1 - alpha^2 without cancellation
  return GaussianPath(
      alpha=alpha, sigma=sigma, d_alpha=lambda t: d_log_alpha(t) * alpha(t),
      # d sigma / dt = -alpha alpha' / sigma = -alpha^2 d log alpha / sigma
      d_sigma=lambda t: -jnp.square(alpha(t)) * d_log_alpha(t) / sigma(t),
      t_min=c.t_min, has_sde=True)


@register_path("ve")
def variance_exploding(c: ml_collections.ConfigDict) -> GaussianPath:
  """The VE SDE (Song et al. 2021, eq. 9): alpha = 1, sigma_t = sigma_min (sigma_max /
  sigma_min)^t (``path.sigma_min``, ``path.sigma_max``: the data's largest pairwise distance)."""
  low, high = c.sigma_min, c.sigma_max
  log_ratio = math.log(high / low)
  sigma = lambda t: low * jnp.exp(t * log_ratio)
  return GaussianPath(alpha=jnp.ones_like, sigma=sigma, d_alpha=jnp.zeros_like,
                      d_sigma=lambda t: log_ratio * sigma(t), t_min=c.t_min, has_sde=True)
