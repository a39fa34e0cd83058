"""The variational bound on -log p(x_0) over all T terms (Ho et al. eq. 5), in bits/dim.

    L = L_T + sum_{t=1}^{T-1} KL(q(x_{t-1}|x_t,x_0) || p(x_{t-1}|x_t)) + (-log p(x_0|x_1)),

the decoder a discretized Gaussian over the data's real number of levels (eq. 13), so the bound
is on the discrete data's bits/dim. One x_t is drawn per term (as Ho et al. evaluate). The T
terms are computed ``chunk`` timesteps at a time inside one ``lax.map`` (memory [chunk, B, ...]).
"""

from typing import Callable

import jax
import jax.numpy as jnp

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
    t_batch = jnp.full((batch,), t)
    noise = jax.random.normal(jax.random.fold_in(rng, t), x0.shape)
    x_t = schedule.q_sample(x0, t_batch, noise)
    return losses.bound_term(schedule, parameterisation, variance, denoise(x_t, t_batch), x0, x_t,
                             t_batch, num_levels)

  # Each chunk of timesteps is one network call on chunk * B examples: [chunk] -> [chunk, B].
  timesteps = jnp.arange(num_timesteps).reshape(-1, chunk)
  terms = jax.lax.map(jax.vmap(term), timesteps).reshape(num_timesteps, batch).T
  prior = losses.prior_term(schedule, x0)
  return {"terms": terms, "prior": prior, "total": jnp.sum(terms, axis=1) + prior}
