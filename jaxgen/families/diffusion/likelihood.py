"""The variational bound on -log p(x_0) over all T terms (Ho et al. eq. 5), in bits/dim.

    L = L_T + sum_{t=1}^{T-1} KL(q(x_{t-1}|x_t,x_0) || p(x_{t-1}|x_t)) + (-log p(x_0|x_1)),

the decoder a discretized Gaussian over the data's real number of levels (eq. 13), so the bound
is on the discrete data's bits/dim. One x_t is drawn per term (as Ho et al. evaluate). The T
terms are computed ``chunk`` timesteps at a time inside one ``lax.map`` (memory [chunk, B, ...]).

``ode_log_likelihood`` gives the same model's exact likelihood through its probability-flow ODE
in continuous time (``eval.ode_likelihood``), for dequantized data.
"""

from typing import Callable, Optional

import jax
import jax.numpy as jnp

from jaxgen.eval import ode_likelihood
from jaxgen.families.diffusion import losses
from jaxgen.families.diffusion.schedules import NoiseSchedule


def bound_terms(denoise: Callable, schedule: NoiseSchedule, parameterisation: str, variance: str,
                x0: jax.Array, rng: jax.Array, num_levels: int, chunk: int) -> dict:
  """Every term of the bound for a batch x0: [B, ...] in [-1, 1]: ``terms`` [B, T] (index t is
  L_t; index 0 the decoder's NLL), ``prior`` [B] (L_T) and ``total`` [B] (their sum), bits/dim.

  ``denoise(x_t, t) -> output`` with t: [B]; the noise of term t is ``normal(fold_in(rng, t))``.
  """
  num_timesteps = schedule.num_timesteps
  if num_timesteps % chunk:
    raise ValueError(f"eval.bound_chunk {chunk} must divide T = {num_timesteps}")
  batch = x0.shape[0]

  def term(t):
    return bound_term_at(denoise, schedule, parameterisation, variance, x0, jnp.full((batch,), t),
                         jax.random.normal(jax.random.fold_in(rng, t), x0.shape), num_levels)

  # Each chunk of timesteps is one network call on chunk * B examples: [chunk] -> [chunk, B].
  timesteps = jnp.arange(num_timesteps).reshape(-1, chunk)
  terms = jax.lax.map(jax.vmap(term), timesteps).reshape(num_timesteps, batch).T
  prior = losses.prior_term(schedule, x0)
  return {"terms": terms, "prior": prior, "total": jnp.sum(terms, axis=1) + prior}


def bound_term_at(denoise: Callable, schedule: NoiseSchedule, parameterisation: str, variance: str,
                  x0: jax.Array, t: jax.Array, noise: jax.Array, num_levels: int) -> jax.Array:
  """The bound's term L_t in bits/dim, [B], at timesteps t: [B] for x_t = q_sample(x0, t, noise)
  (``losses.bound_term``; t = 0: the decoder's NLL)."""
  x_t = schedule.q_sample(x0, t, noise)
  return losses.bound_term(schedule, parameterisation, variance, denoise(x_t, t), x0, x_t, t,
                           num_levels)


def continuous_alpha_sigma(schedule: NoiseSchedule):
  """The discrete schedule in continuous time t in [0, 1], index i at t = (i + 1) / T and the data
  at t = 0: log alpha_bar linear between those knots. -> functions t [] -> (alpha, sigma,
  d alpha / dt, d sigma / dt) and t -> the network's (fractional) timestep index t T - 1."""
  T = schedule.num_timesteps
  knots = jnp.concatenate([jnp.zeros(1), jnp.log(jnp.asarray(schedule.alphas_cumprod))])  # [T + 1]

  def coefficients(t):
    position = jnp.clip(t * T, 0.0, T)
    k = jnp.clip(jnp.floor(position).astype(jnp.int32), 0, T - 1)
    slope = knots[k + 1] - knots[k]
    log_alpha_bar = knots[k] + (position - k) * slope
    alpha_bar = jnp.exp(log_alpha_bar)
    alpha, sigma = jnp.sqrt(alpha_bar), jnp.sqrt(-jnp.expm1(log_alpha_bar))
    d_log_alpha_bar = slope * T
    return alpha, sigma, 0.5 * alpha * d_log_alpha_bar, -0.5 * alpha_bar * d_log_alpha_bar / sigma

  return coefficients, lambda t: t * T - 1.0


def ode_log_likelihood(network: Callable, schedule: NoiseSchedule, parameterisation: str,
                       variance: str, x: jax.Array, rng: jax.Array, t_min: float, rtol: float,
                       atol: float, status: Optional[Callable] = None) -> tuple[jax.Array, jax.Array]:
  """(log p(x) [B] in nats, NFE []) of continuous x [B, ...] under the probability-flow ODE of the
  DDPM (Song et al. 2021, Sec. 4.3): dx/dt = alpha' x0_hat + sigma' eps_hat along
  ``continuous_alpha_sigma``, from ``t_min`` to 1, prior N(0, I), Hutchinson's divergence.
  ``network(x, index)`` with index [B] float; a learned variance is ignored. ``status``: the
  solve's host callback (``ode_likelihood.solve_dopri5``)."""
  coefficients, index_of = continuous_alpha_sigma(schedule)

  def velocity(x_t, t):
    alpha, sigma, d_alpha, d_sigma = coefficients(t)
    prediction, _ = losses.split_output(network(x_t, jnp.full(x_t.shape[:1], index_of(t))), variance)
    if parameterisation == "epsilon":
      eps = prediction
      x0 = (x_t - sigma * eps) / alpha
    elif parameterisation == "x0":
      x0 = prediction
      eps = (x_t - alpha * x0) / sigma
    else:  # v = alpha eps - sigma x0, alpha^2 + sigma^2 = 1
      x0, eps = alpha * x_t - sigma * prediction, sigma * x_t + alpha * prediction
    return d_alpha * x0 + d_sigma * eps

  return ode_likelihood.ode_log_likelihood(velocity, x, ode_likelihood.normal_log_density, t_min,
                                           1.0, rng, "hutchinson", rtol, atol, status=status)
