"""Exact log-likelihood of a continuous normalizing flow dx/dt = v(x, t) by the instantaneous change
of variables (Chen et al. 2018; Song et al. 2021, App. D.2 for the probability-flow ODE):

    log p_{t0}(x(t0)) = log p_{t1}(x(t1)) + integral_{t0}^{t1} div v(x(t), t) dt,

integrated forward from the data at t0 to the prior at t1 by adaptive Dormand-Prince (diffrax),
the state and the divergence's integral in one ODE. The divergence is exact (D Jacobian-vector
products: 2-D data) or Hutchinson's unbiased estimate eps^T (dv/dx) eps with one Rademacher probe
eps per example held over the whole path (Grathwohl et al. 2019), so the log-likelihood estimate
is unbiased too.
"""

from typing import Callable, Optional

import diffrax
import equinox as eqx
import jax
import jax.numpy as jnp

DIVERGENCES = ("exact", "hutchinson")


def exact_divergence(velocity: Callable, x: jax.Array, t: jax.Array) -> jax.Array:
  """sum_d dv_d / dx_d per example for x: [B, D] (the examples do not interact): D forward-mode
  products with the basis vectors. -> [B]."""
  def diagonal(d):
    basis = jnp.zeros_like(x).at[:, d].set(1.0)
    return jax.jvp(lambda y: velocity(y, t), (x,), (basis,))[1][:, d]

  return sum(diagonal(d) for d in range(x.shape[1]))


def hutchinson_divergence(velocity: Callable, x: jax.Array, t: jax.Array, probe: jax.Array) -> jax.Array:
  """eps^T (dv/dx) eps per example, one Jacobian-vector product: E over eps is the divergence.
  x, probe: [B, ...] -> [B]."""
  product = jax.jvp(lambda y: velocity(y, t), (x,), (probe,))[1]
  return jnp.sum((product * probe).reshape(x.shape[0], -1), axis=1)


def ode_log_likelihood(velocity: Callable, x: jax.Array, prior_log_density: Callable, t0: float,
                       t1: float, rng: jax.Array, divergence: str = "exact", rtol: float = 1e-5,
                       atol: float = 1e-5, max_steps: int = 4096,
                       status: Optional[Callable] = None) -> tuple[jax.Array, jax.Array]:
  """(log p_{t0}(x) [B] in nats, NFE []) for x: [B, ...] under dx/dt = ``velocity(x, t)`` (t a
  scalar) with ``prior_log_density(x_t1) -> [B]`` at t1. NFE counts the velocity's evaluations
  with their Jacobian-vector products (``solve_dopri5``); ``status`` as there."""
  if divergence not in DIVERGENCES:
    raise ValueError(f"divergence must be one of {DIVERGENCES}, got {divergence!r}")
  probe = jax.random.rademacher(rng, x.shape, dtype=x.dtype)

  def dynamics(t, state, args):
    y, _ = state
    if divergence == "exact":
      return velocity(y, t), exact_divergence(velocity, y, t)
    return velocity(y, t), hutchinson_divergence(velocity, y, t, probe)

  (x1, integral), nfe = solve_dopri5(dynamics, (x, jnp.zeros(x.shape[:1], x.dtype)), t0, t1,
                                     rtol, atol, max_steps, status)
  return prior_log_density(x1) + integral, nfe


class HostStatus(diffrax.AbstractProgressMeter):
  """Calls ``report(fraction, steps)`` on the host after every step of a solve: the fraction of
  [t0, t1] done and the steps attempted so far (``jax.debug.callback``). ``report`` chooses what
  to print and when: one compiled solve can run for an hour."""
  report: Callable = eqx.field(static=True)

  def init(self) -> jax.Array:
    return jnp.zeros((), jnp.int32)

  def step(self, steps: jax.Array, progress) -> jax.Array:
    jax.debug.callback(self.report, progress, steps + 1)
    return steps + 1

  def close(self, steps: jax.Array) -> None:
    del steps


def solve_dopri5(dynamics: Callable, y0, t0: float, t1: float, rtol: float, atol: float,
                 max_steps: int, status: Optional[Callable] = None):
  """(y(t1), NFE) of dy/dt = ``dynamics(t, y, None)`` by diffrax's adaptive Dormand-Prince 5(4)
  with a PID step-size controller (the error's RMS norm over the whole pytree). NFE: 6 per
  attempted step (the seventh stage is the next step's first) plus 1, as the tests count them.
  ``status(fraction, steps)``, if given, runs on the host after every step (``HostStatus``)."""
  solution = diffrax.diffeqsolve(
      diffrax.ODETerm(dynamics), diffrax.Dopri5(), t0=t0, t1=t1, dt0=None, y0=y0,
      stepsize_controller=diffrax.PIDController(rtol=rtol, atol=atol), max_steps=max_steps,
      saveat=diffrax.SaveAt(t1=True),
      progress_meter=diffrax.NoProgressMeter() if status is None else HostStatus(status))
  y1 = jax.tree.map(lambda leaf: leaf[0], solution.ys)
  return y1, (6 * solution.stats["num_steps"] + 1).astype(jnp.int32)


def normal_log_density(x: jax.Array, scale: float = 1.0) -> jax.Array:
  """log N(x; 0, scale^2 I) per example: [B, ...] -> [B]."""
  flat = x.reshape(x.shape[0], -1)
  return (-0.5 * jnp.sum(jnp.square(flat), axis=1) / scale**2
          - flat.shape[1] * (jnp.log(scale) + 0.5 * jnp.log(2 * jnp.pi)))
