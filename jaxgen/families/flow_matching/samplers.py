"""Samplers from t = 1 (noise) to the path's t_min, each one compiled program that also returns
its number of network evaluations (NFE).

``denoise(x, t) -> (x0_hat, eps_hat)`` is the network with its parameters (and guidance) bound;
x: [B, ...], t: [B]. A sampler ``(denoise, path, x_start, rng, num_steps, c) -> (x, nfe)`` starts
from x_start = sigma_t0 z at its first time t0 (``initial_time``); ``c`` is the config's ``sample``
group. Register one with ``@register_sampler(name, nfe=...)``.

- ODE (the probability flow dx/dt = alpha' x0_hat + sigma' eps_hat): ``euler`` (uniform times),
  ``heun`` (Karras et al. 2022, Alg. 1, on their rho = 7 time discretisation), ``dpmpp_2m``
  (DPM-Solver++(2M), Lu et al. 2022, Alg. 2, first order at the last step as their code for few
  steps), ``dopri5`` (adaptive Dormand-Prince through diffrax, ``sample.rtol`` / ``atol``).
- SDE (the reverse-time SDE dx = [f x - g^2 score] dt + g dW, score = -eps_hat / sigma; VP and VE
  paths): ``euler_maruyama`` and ``pc`` (Song et al. 2021, Alg. 2-3: a Langevin corrector step
  with signal-to-noise ratio ``sample.snr`` before each Euler-Maruyama predictor step). Both end
  on the mean of the last step (no noise), as Song et al.'s noise removal.
"""

import dataclasses
from typing import Callable, Optional

import jax
import jax.numpy as jnp
import ml_collections

from jaxgen.eval.ode_likelihood import solve_dopri5
from jaxgen.families.flow_matching.losses import ode_velocity
from jaxgen.families.flow_matching.paths import GaussianPath, expand
from jaxgen.registry import Registry

Denoiser = Callable[[jax.Array, jax.Array], tuple[jax.Array, jax.Array]]
SAMPLERS = Registry("flow matching sampler")


@dataclasses.dataclass(frozen=True)
class SamplerSpec:
  run: Callable  # (denoise, path, x_start, rng, num_steps, c) -> (x, nfe)
  time_grid: str  # "uniform" | "karras": where x_start sits (``initial_time``)
  nfe: Optional[Callable[[int], int]]  # steps -> network evaluations; None: adaptive
  stochastic: bool = False  # needs the path's SDE


def register_sampler(name: str, time_grid: str, nfe: Optional[Callable[[int], int]],
                     stochastic: bool = False):
  def decorator(run):
    SAMPLERS.register(name)(SamplerSpec(run, time_grid, nfe, stochastic))
    return run
  return decorator


# -- time grids ----------------------------------------------------------------------------------

def uniform_times(path: GaussianPath, num_steps: int) -> jax.Array:
  """num_steps + 1 times evenly spaced from 1 down to t_min."""
  return jnp.linspace(1.0, path.t_min, num_steps + 1)


def karras_times(path: GaussianPath, num_steps: int, max_noise_ratio: float, rho: float = 7.0) -> jax.Array:
  """Karras et al.'s (2022, eq. 5) discretisation in the noise ratio sigma / alpha, rho-spaced from
  min(ratio at t = 1, ``max_noise_ratio``) down to the ratio at t_min (0 where sigma vanishes),
  mapped back to times: num_steps + 1 times."""
  high = jnp.minimum(path.noise_ratio(jnp.float32(1.0)), max_noise_ratio)
  low = path.noise_ratio(jnp.float32(path.t_min))
  fraction = jnp.arange(num_steps + 1) / num_steps
  ratios = (high ** (1 / rho) + fraction * (low ** (1 / rho) - high ** (1 / rho))) ** rho
  times = path.t_of_noise_ratio(ratios)
  return times.at[0].set(jnp.where(high < max_noise_ratio, 1.0, times[0])).at[-1].set(path.t_min)


def times(path: GaussianPath, spec: SamplerSpec, num_steps: int, c: ml_collections.ConfigDict) -> jax.Array:
  if spec.time_grid == "karras":
    return karras_times(path, num_steps, c.max_noise_ratio)
  return uniform_times(path, num_steps)


def initial_time(path: GaussianPath, sampler: str, num_steps: int, c: ml_collections.ConfigDict) -> jax.Array:
  """The time a sampler starts from: 1, or Karras's grid's first time (its sigma_max)."""
  return times(path, SAMPLERS.get(sampler), num_steps, c)[0]


def run(sampler: str, denoise: Denoiser, path: GaussianPath, x_start: jax.Array, rng: jax.Array,
        num_steps: int, c: ml_collections.ConfigDict) -> tuple[jax.Array, jax.Array]:
  """Sampler ``sampler`` from x_start at ``initial_time``: (x at t_min [B, ...], NFE [])."""
  return SAMPLERS.get(sampler).run(denoise, path, x_start, rng, num_steps, c)


def probability_flow(denoise: Denoiser, path: GaussianPath) -> Callable:
  """(x, t scalar) -> dx/dt of the probability-flow ODE."""

  def velocity(x, t):
    t_batch = jnp.full(x.shape[:1], t)
    return ode_velocity(path, *denoise(x, t_batch), t_batch)

  return velocity


# -- ODE samplers --------------------------------------------------------------------------------

@register_sampler("euler", "uniform", nfe=lambda steps: steps)
def euler(denoise, path, x, rng, num_steps, c):
  """x_{i+1} = x_i + (t_{i+1} - t_i) v(x_i, t_i) on uniform times; one step is exact on a
  straight (rectified) flow."""
  velocity = probability_flow(denoise, path)
  grid = uniform_times(path, num_steps)

  def step(x, i):
    return x + (grid[i + 1] - grid[i]) * velocity(x, grid[i]), None

  x, _ = jax.lax.scan(step, x, jnp.arange(num_steps))
  return x, jnp.int32(num_steps)


@register_sampler("heun", "karras", nfe=lambda steps: 2 * steps - 1)
def heun(denoise, path, x, rng, num_steps, c):
  """Karras et al.'s Algorithm 1 (no churn) in time: an Euler step, then the trapezoid of the
  velocities at both ends, except on the last step (Euler), so 2 N - 1 evaluations."""
  velocity = probability_flow(denoise, path)
  grid = karras_times(path, num_steps, c.max_noise_ratio)

  def step(x, i):
    dt = grid[i + 1] - grid[i]
    slope = velocity(x, grid[i])
    euler_x = x + dt * slope

    def corrected():
      return x + 0.5 * dt * (slope + velocity(euler_x, grid[i + 1]))

    return jax.lax.cond(i < num_steps - 1, corrected, lambda: euler_x), None

  x, _ = jax.lax.scan(step, x, jnp.arange(num_steps))
  return x, jnp.int32(2 * num_steps - 1)


@register_sampler("dpmpp_2m", "karras", nfe=lambda steps: steps)
def dpmpp_2m(denoise, path, x, rng, num_steps, c):
  """DPM-Solver++(2M) (Lu et al. 2022, Alg. 2) in lambda = log(alpha / sigma) with the data
  prediction: x_{i+1} = (sigma_{i+1} / sigma_i) x_i - alpha_{i+1} (e^{-h} - 1) D_i, D_i the
  second-order combination of the last two x0_hat (x0_hat itself on the first and last steps)."""
  grid = karras_times(path, num_steps, c.max_noise_ratio)
  alpha, sigma = path.alpha(grid), path.sigma(grid)
  log_snr = jnp.log(alpha) - jnp.log(sigma)  # +inf where sigma = 0 (the last time, t_min = 0)

  def step(carry, i):
    x, previous_x0 = carry
    x0, _ = denoise(x, jnp.full(x.shape[:1], grid[i]))
    h = log_snr[i + 1] - log_snr[i]
    h_previous = log_snr[i] - log_snr[jnp.maximum(i - 1, 0)]
    second_order = (i > 0) & (i < num_steps - 1)
    half_inverse_r = jnp.where(second_order, 0.5 * h / jnp.where(second_order, h_previous, 1.0), 0.0)
    direction = (1.0 + half_inverse_r) * x0 - half_inverse_r * previous_x0
    # -alpha_{i+1} (e^{-h} - 1) = alpha_{i+1} - sigma_{i+1} alpha_i / sigma_i, finite as h -> inf.
    x = sigma[i + 1] / sigma[i] * x + (alpha[i + 1] - sigma[i + 1] * alpha[i] / sigma[i]) * direction
    return (x, x0), None

  (x, _), _ = jax.lax.scan(step, (x, jnp.zeros_like(x)), jnp.arange(num_steps))
  return x, jnp.int32(num_steps)


@register_sampler("dopri5", "uniform", nfe=None)
def dopri5(denoise, path, x, rng, num_steps, c):
  """Adaptive Dormand-Prince 5(4) (diffrax) from t = 1 to t_min with relative and absolute
  tolerances ``sample.rtol`` / ``atol`` (the RMS error over the batch); ``num_steps`` is unused."""
  del num_steps
  velocity = probability_flow(denoise, path)
  return solve_dopri5(lambda t, y, args: velocity(y, t), x, 1.0, path.t_min, c.rtol, c.atol,
                      c.max_steps)


# -- SDE samplers --------------------------------------------------------------------------------

def reverse_sde_step(denoise, path, x, t, t_next, z, last):
  """One Euler-Maruyama step of the reverse SDE from t to t_next < t: the mean, plus g sqrt(dt) z
  except on the last step."""
  t_batch = jnp.full(x.shape[:1], t)
  _, eps = denoise(x, t_batch)
  drift, diffusion_sq = path.drift_diffusion(t)
  score = -eps / path.sigma(t)
  dt = t - t_next
  mean = x - dt * (drift * x - diffusion_sq * score)
  return jnp.where(last, mean, mean + jnp.sqrt(diffusion_sq * dt) * z)


@register_sampler("euler_maruyama", "uniform", nfe=lambda steps: steps, stochastic=True)
def euler_maruyama(denoise, path, x, rng, num_steps, c):
  """Euler-Maruyama on the reverse SDE (Song et al. 2021, eq. 6) over uniform times."""
  grid = uniform_times(path, num_steps)

  def step(x, i):
    z = jax.random.normal(jax.random.fold_in(rng, i), x.shape)
    return reverse_sde_step(denoise, path, x, grid[i], grid[i + 1], z, i == num_steps - 1), None

  x, _ = jax.lax.scan(step, x, jnp.arange(num_steps))
  return x, jnp.int32(num_steps)


@register_sampler("pc", "uniform", nfe=lambda steps: 2 * steps, stochastic=True)
def predictor_corrector(denoise, path, x, rng, num_steps, c):
  """Song et al.'s predictor-corrector (Alg. 2-3): at each time a Langevin step x + e score +
  sqrt(2 e) z with e = 2 (snr ||z|| / ||score||)^2, the norms averaged over the batch as their
  code does (a per-example ratio has heavy tails in few dimensions), then an Euler-Maruyama step."""
  grid = uniform_times(path, num_steps)
  norm = lambda a: jnp.mean(jnp.sqrt(jnp.sum(jnp.square(a.reshape(a.shape[0], -1)), axis=1)))

  def step(x, i):
    corrector_key, predictor_key = jax.random.split(jax.random.fold_in(rng, i))
    t_batch = jnp.full(x.shape[:1], grid[i])
    score = -denoise(x, t_batch)[1] / path.sigma(grid[i])
    z = jax.random.normal(corrector_key, x.shape)
    step_size = 2.0 * jnp.square(c.snr * norm(z) / norm(score))
    x = x + step_size * score + jnp.sqrt(2.0 * step_size) * z
    z = jax.random.normal(predictor_key, x.shape)
    return reverse_sde_step(denoise, path, x, grid[i], grid[i + 1], z, i == num_steps - 1), None

  x, _ = jax.lax.scan(step, x, jnp.arange(num_steps))
  return x, jnp.int32(2 * num_steps)


def nfe(sampler: str, num_steps: int) -> Optional[int]:
  """The fixed NFE of ``sampler`` at ``num_steps`` (None for an adaptive one)."""
  count = SAMPLERS.get(sampler).nfe
  return None if count is None else count(num_steps)


def guided(network: Callable, labels: jax.Array, null_label: int, scale: float) -> Callable:
  """Classifier-free guidance (Ho & Salimans 2022, eq. 6) on the network's prediction:
  (1 + w) f(x, t, y) - w f(x, t, null), one call on the doubled batch. Every parameterisation is
  affine in the prediction at fixed (x_t, t), so this mixes the implied x0_hat, eps_hat and
  velocities alike. ``network(x, t, labels)``; labels: [B]."""
  if scale == 0:
    return lambda x, t: network(x, t, labels)

  def combined(x, t):
    both = network(jnp.concatenate([x, x]), jnp.concatenate([t, t]),
                   jnp.concatenate([labels, jnp.full_like(labels, null_label)]))
    conditional, unconditional = jnp.split(both, 2)
    return (1.0 + scale) * conditional - scale * unconditional

  return combined
