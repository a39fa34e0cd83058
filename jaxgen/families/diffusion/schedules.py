"""The forward process q(x_t | x_0) of DDPM: beta schedules by name and every quantity derived from them.

Timesteps are 0-indexed as in Ho et al.'s code: index t in {0, ..., T-1} is the paper's x_{t+1};
index 0 is the first noising step, whose reverse is the decoder p(x_0 | x_1).

Every derived array is computed once in float64 NumPy from the paper's formulas and stored as
float32 (1 - alpha_bar near t = 0 and the posterior variance lose digits in float32 arithmetic).
"""

import dataclasses
import math

import jax
import jax.numpy as jnp
import numpy as np

from jaxgen.registry import Registry
from jaxgen.errors import ConfigError

BETA_SCHEDULES = Registry("noise schedule")
register_schedule = BETA_SCHEDULES.register


@register_schedule("linear")
def linear_betas(num_timesteps: int) -> np.ndarray:
  """Ho et al. 2020 (Sec. 4): beta_1 = 1e-4 to beta_T = 0.02 linearly for T = 1000; other T
  scale both ends by 1000 / T (Nichol & Dhariwal's ``get_named_beta_schedule``) so that the
  product alpha_bar_T stays the same. -> [T] float64."""
  scale = 1000.0 / num_timesteps
  return np.linspace(scale * 1e-4, scale * 0.02, num_timesteps, dtype=np.float64)


@register_schedule("cosine")
def cosine_betas(num_timesteps: int, offset: float = 0.008, max_beta: float = 0.999) -> np.ndarray:
  """Nichol & Dhariwal 2021, eq. 17: alpha_bar(t) = f(t) / f(0), f(t) = cos^2((t/T + s)/(1 + s) pi/2),
  beta_t = 1 - alpha_bar(t) / alpha_bar(t - 1) clipped at 0.999 (the singularity at t = T).
  -> [T] float64."""
  steps = np.arange(num_timesteps + 1, dtype=np.float64) / num_timesteps
  alpha_bar = np.cos((steps + offset) / (1 + offset) * math.pi / 2) ** 2
  return np.minimum(1.0 - alpha_bar[1:] / alpha_bar[:-1], max_beta)


@dataclasses.dataclass(frozen=True, eq=False)
class NoiseSchedule:
  """The forward process's coefficients, each [T] float32 (NumPy, so they fold into a jit as
  constants). Names follow Ho et al.'s ``diffusion_utils_2.py``."""
  betas: np.ndarray
  alphas_cumprod: np.ndarray  # alpha_bar_t = prod_{s <= t} (1 - beta_s)
  alphas_cumprod_prev: np.ndarray  # alpha_bar_{t-1}, with alpha_bar_{-1} = 1
  sqrt_alphas_cumprod: np.ndarray
  sqrt_one_minus_alphas_cumprod: np.ndarray
  sqrt_recip_alphas_cumprod: np.ndarray  # 1 / sqrt(alpha_bar_t)
  sqrt_recipm1_alphas_cumprod: np.ndarray  # sqrt(1 / alpha_bar_t - 1)
  posterior_variance: np.ndarray  # beta~_t (eq. 7)
  posterior_log_variance_clipped: np.ndarray  # log beta~_t, with beta~_0 (= 0) replaced by beta~_1
  posterior_mean_coef1: np.ndarray  # of x_0 in mu~_t (eq. 7)
  posterior_mean_coef2: np.ndarray  # of x_t in mu~_t (eq. 7)
  log_large_variance: np.ndarray  # log beta_t with beta_0 replaced by beta~_1 (Ho et al.'s fixedlarge)
  snr: np.ndarray  # alpha_bar_t / (1 - alpha_bar_t) (Kingma et al. 2021)

  @property
  def num_timesteps(self) -> int:
    return len(self.betas)

  # -- q(x_t | x_0) and q(x_{t-1} | x_t, x_0) ----------------------------------------------------

  def q_sample(self, x0: jax.Array, t: jax.Array, noise: jax.Array) -> jax.Array:
    """x_t = sqrt(alpha_bar_t) x_0 + sqrt(1 - alpha_bar_t) eps (eq. 4). x0, noise: [B, ...]; t: [B]."""
    return (take(self.sqrt_alphas_cumprod, t, x0) * x0
            + take(self.sqrt_one_minus_alphas_cumprod, t, x0) * noise)

  def q_mean_log_variance(self, x0: jax.Array, t: jax.Array) -> tuple[jax.Array, jax.Array]:
    """Mean and log-variance of q(x_t | x_0) (eq. 4): [B, ...] and [B, 1, ...]."""
    log_variance = jnp.log1p(-take(self.alphas_cumprod, t, x0))
    return take(self.sqrt_alphas_cumprod, t, x0) * x0, log_variance

  def q_posterior(self, x0: jax.Array, x_t: jax.Array, t: jax.Array):
    """Mean, variance and clipped log-variance of q(x_{t-1} | x_t, x_0) (eqs. 6-7)."""
    mean = take(self.posterior_mean_coef1, t, x_t) * x0 + take(self.posterior_mean_coef2, t, x_t) * x_t
    return mean, take(self.posterior_variance, t, x_t), take(self.posterior_log_variance_clipped, t, x_t)

  # -- conversions between what a network predicts ----------------------------------------------

  def x0_from_eps(self, x_t: jax.Array, t: jax.Array, eps: jax.Array) -> jax.Array:
    """x_0 = x_t / sqrt(alpha_bar_t) - sqrt(1 / alpha_bar_t - 1) eps (eq. 4 solved for x_0)."""
    return (take(self.sqrt_recip_alphas_cumprod, t, x_t) * x_t
            - take(self.sqrt_recipm1_alphas_cumprod, t, x_t) * eps)

  def eps_from_x0(self, x_t: jax.Array, t: jax.Array, x0: jax.Array) -> jax.Array:
    return ((take(self.sqrt_recip_alphas_cumprod, t, x_t) * x_t - x0)
            / take(self.sqrt_recipm1_alphas_cumprod, t, x_t))

  def x0_from_v(self, x_t: jax.Array, t: jax.Array, v: jax.Array) -> jax.Array:
    """v = sqrt(alpha_bar) eps - sqrt(1 - alpha_bar) x_0 (Salimans & Ho 2022, Sec. 4), so
    x_0 = sqrt(alpha_bar) x_t - sqrt(1 - alpha_bar) v."""
    return (take(self.sqrt_alphas_cumprod, t, x_t) * x_t
            - take(self.sqrt_one_minus_alphas_cumprod, t, x_t) * v)

  def v_target(self, x0: jax.Array, t: jax.Array, noise: jax.Array) -> jax.Array:
    return (take(self.sqrt_alphas_cumprod, t, x0) * noise
            - take(self.sqrt_one_minus_alphas_cumprod, t, x0) * x0)


def take(coefficients: np.ndarray, t: jax.Array, like: jax.Array) -> jax.Array:
  """coefficients[t] broadcastable against ``like``: t [B] -> [B, 1, ..., 1]."""
  values = jnp.asarray(coefficients)[t]
  return values.reshape(values.shape + (1,) * (like.ndim - values.ndim))


def make_schedule(name: str, num_timesteps: int) -> NoiseSchedule:
  """The schedule ``name`` (``BETA_SCHEDULES``) over T = ``num_timesteps`` steps."""
  betas = np.asarray(BETA_SCHEDULES.get(name)(num_timesteps), np.float64)
  if betas.shape != (num_timesteps,) or not np.all((betas > 0) & (betas < 1)):
    raise ConfigError(f"diffusion.schedule {name!r} with T={num_timesteps} must give {num_timesteps} "
                      f"betas in (0, 1); got {betas.min():.4g}..{betas.max():.4g}")
  alphas = 1.0 - betas
  alphas_cumprod = np.cumprod(alphas)
  alphas_cumprod_prev = np.append(1.0, alphas_cumprod[:-1])
  posterior_variance = betas * (1.0 - alphas_cumprod_prev) / (1.0 - alphas_cumprod)
  # beta~_0 = 0: the decoder step would have log-variance -inf; Ho et al. clip it to beta~_1.
  posterior_log_variance_clipped = np.log(np.append(posterior_variance[1], posterior_variance[1:]))
  float32 = lambda a: np.asarray(a, np.float32)
  return NoiseSchedule(
      betas=float32(betas),
      alphas_cumprod=float32(alphas_cumprod),
      alphas_cumprod_prev=float32(alphas_cumprod_prev),
      sqrt_alphas_cumprod=float32(np.sqrt(alphas_cumprod)),
      sqrt_one_minus_alphas_cumprod=float32(np.sqrt(1.0 - alphas_cumprod)),
      sqrt_recip_alphas_cumprod=float32(np.sqrt(1.0 / alphas_cumprod)),
      sqrt_recipm1_alphas_cumprod=float32(np.sqrt(1.0 / alphas_cumprod - 1.0)),
      posterior_variance=float32(posterior_variance),
      posterior_log_variance_clipped=float32(posterior_log_variance_clipped),
      posterior_mean_coef1=float32(betas * np.sqrt(alphas_cumprod_prev) / (1.0 - alphas_cumprod)),
      posterior_mean_coef2=float32((1.0 - alphas_cumprod_prev) * np.sqrt(alphas) / (1.0 - alphas_cumprod)),
      log_large_variance=float32(np.log(np.append(posterior_variance[1], betas[1:]))),
      snr=float32(alphas_cumprod / (1.0 - alphas_cumprod)),
  )
