"""Reverse-process samplers, each one ``lax.scan`` over its timesteps (one compiled program).

``denoise(x_t, t) -> output`` is the network with its parameters (and guidance) bound; t: [B].
Each sampler starts from a given x_T and draws the noise of the step leaving index t from
``fold_in(rng, t)``: DDIM with eta = 1 over all T steps sees the very noise the ancestral sampler
sees, and equals it (the tests check this).
"""

from typing import Callable

import jax
import jax.numpy as jnp
import numpy as np

from jaxgen.families.diffusion import losses
from jaxgen.families.diffusion.schedules import NoiseSchedule

Denoiser = Callable[[jax.Array, jax.Array], jax.Array]


def ancestral(denoise: Denoiser, schedule: NoiseSchedule, x_T: jax.Array, rng: jax.Array,
              parameterisation: str, variance: str, clip_x0: bool = True) -> jax.Array:
  """DDPM's Algorithm 2 (Ho et al.): x_T ~ N(0, I); x_{t-1} = mu(x_t, t) + sigma_t z for t = T..1,
  with sigma_t^2 fixed (``small`` beta~_t, ``large`` beta_t) or learned; no noise at the last
  step. ``clip_x0`` clips the predicted x_0 to [-1, 1] inside the mean, as Ho et al. sample.
  x_T: [B, ...] -> x_0 [B, ...]."""
  shape = x_T.shape

  def step(x, t):
    t_batch = jnp.full(shape[:1], t)
    mean, log_variance, _ = losses.p_mean_log_variance(schedule, parameterisation, variance,
                                                       denoise(x, t_batch), x, t_batch, clip_x0)
    z = jax.random.normal(jax.random.fold_in(rng, t), shape)
    return mean + jnp.where(t > 0, jnp.exp(0.5 * log_variance), 0.0) * z, None

  timesteps = jnp.arange(schedule.num_timesteps - 1, -1, -1)
  x, _ = jax.lax.scan(step, x_T, timesteps)
  return x


TIMESTEP_SPACINGS = ("leading", "trailing", "linspace")


def ddim_timesteps(num_timesteps: int, num_steps: int, spacing: str = "leading") -> np.ndarray:
  """The S = ``num_steps`` indices of DDIM's subsequence tau, ascending, by diffusers' named
  ``timestep_spacing``: ``leading`` i (T // S) (Song et al.'s App. D.2 "linear" when S divides T),
  ``trailing`` round(T - i T / S) - 1 (Lin et al. 2024: it ends on the last index T - 1),
  ``linspace`` round(linspace(0, T - 1, S)). -> [S] int."""
  if not 1 <= num_steps <= num_timesteps:
    raise ValueError(f"DDIM needs 1 <= num_steps <= T = {num_timesteps}, got {num_steps}")
  if spacing == "leading":
    return np.arange(num_steps) * (num_timesteps // num_steps)
  if spacing == "trailing":
    return np.round(np.arange(num_timesteps, 0, -num_timesteps / num_steps)).astype(np.int64)[::-1] - 1
  if spacing == "linspace":
    return np.round(np.linspace(0, num_timesteps - 1, num_steps)).astype(np.int64)
  raise ValueError(f"timestep spacing must be one of {TIMESTEP_SPACINGS}, got {spacing!r}")


def ddim_coefficients(schedule: NoiseSchedule, num_steps: int, eta: float,
                      spacing: str = "leading") -> dict:
  """Per DDIM step, from the last to the first (float64 NumPy, stored float32): the index t, and
  alpha_bar_t, alpha_bar_prev (1 at the end), sigma_t = eta sqrt((1 - a_prev)/(1 - a_t))
  sqrt(1 - a_t / a_prev) (Song et al. eq. 16), and the weight sqrt(1 - a_prev - sigma_t^2) of the
  predicted noise in eq. 12."""
  timesteps = ddim_timesteps(schedule.num_timesteps, num_steps, spacing)
  alphas_cumprod = np.cumprod(1.0 - np.asarray(schedule.betas, np.float64))
  alpha = alphas_cumprod[timesteps]
  alpha_prev = np.append(1.0, alpha[:-1])
  sigma = eta * np.sqrt((1.0 - alpha_prev) / (1.0 - alpha) * (1.0 - alpha / alpha_prev))
  direction = np.sqrt(np.maximum(1.0 - alpha_prev - sigma**2, 0.0))
  float32 = lambda a: np.asarray(a[::-1], np.float32)
  return {"t": timesteps[::-1].astype(np.int32), "sqrt_alpha_prev": float32(np.sqrt(alpha_prev)),
          "sigma": float32(sigma), "direction": float32(direction)}


def ddim(denoise: Denoiser, schedule: NoiseSchedule, x_T: jax.Array, rng: jax.Array,
         parameterisation: str, variance: str, num_steps: int, eta: float = 0.0,
         clip_x0: bool = True, spacing: str = "leading") -> jax.Array:
  """DDIM (Song et al. 2021, eq. 12) over ``num_steps`` of the T timesteps (``spacing``):

      x_prev = sqrt(a_prev) x0_hat + sqrt(1 - a_prev - sigma_t^2) eps_hat + sigma_t z,

  deterministic given x_T for eta = 0, DDPM with sigma_t^2 = beta~_t for eta = 1 and all T steps.
  eps_hat is recomputed from the (clipped) x0_hat so the two stay consistent. A learned variance
  is ignored (DDIM fixes sigma_t). x_T: [B, ...] -> x_0 [B, ...]."""
  shape = x_T.shape
  coefficients = ddim_coefficients(schedule, num_steps, eta, spacing)

  def step(x, c):
    t_batch = jnp.full(shape[:1], c["t"])
    prediction, _ = losses.split_output(denoise(x, t_batch), variance)
    x0 = losses.PARAMETERISATIONS.get(parameterisation).to_x0(schedule, x, t_batch, prediction)
    if clip_x0:
      x0 = jnp.clip(x0, -1.0, 1.0)
    eps = schedule.eps_from_x0(x, t_batch, x0)
    z = jax.random.normal(jax.random.fold_in(rng, c["t"]), shape)
    return c["sqrt_alpha_prev"] * x0 + c["direction"] * eps + c["sigma"] * z, None

  x, _ = jax.lax.scan(step, x_T, coefficients)
  return x


def guided(denoise: Callable, labels: jax.Array, null_label: int, scale: float, variance: str) -> Denoiser:
  """Classifier-free guidance (Ho & Salimans 2022, eq. 6): (1 + w) f(x, y) - w f(x, null), one
  network call on the doubled batch. The parameterisations are affine in the prediction at fixed
  (x_t, t), so mixing predictions mixes the implied epsilons alike. A learned variance is the
  conditional one. ``denoise(x, t, labels)``; labels: [B]."""
  if scale == 0:
    return lambda x, t: denoise(x, t, labels)

  def combined(x, t):
    both = denoise(jnp.concatenate([x, x]), jnp.concatenate([t, t]),
                   jnp.concatenate([labels, jnp.full_like(labels, null_label)]))
    conditional, unconditional = jnp.split(both, 2)
    cond_prediction, interpolation = losses.split_output(conditional, variance)
    uncond_prediction, _ = losses.split_output(unconditional, variance)
    prediction = (1.0 + scale) * cond_prediction - scale * uncond_prediction
    if interpolation is None:
      return prediction
    return jnp.concatenate([prediction, interpolation], axis=-1)

  return combined
