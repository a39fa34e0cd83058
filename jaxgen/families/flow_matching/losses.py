"""What the network predicts on a Gaussian path, and the training objectives by name.

A network maps (x_t, t) to a prediction [B, ...] of one of four targets (``PARAMETERISATIONS``):
``velocity`` u = alpha' x_0 + sigma' eps (flow matching, rectified flow), ``epsilon``, ``x0``, or
``v`` = alpha eps - sigma x_0 (Salimans & Ho 2022). Each is affine in (x_0, eps) at fixed (x_t, t),
so any prediction gives the pair (x0_hat, eps_hat) by a 2x2 solve, and from it the probability-flow
velocity and the score -eps_hat / sigma that the samplers use.

A loss has the signature ``loss(inputs, c) -> (per_example [B], aux {name: [B]})`` with ``inputs``
a ``LossInputs`` and ``c`` the config's ``loss`` group; register one with ``@register_loss``.
A weighting of the per-example MSE is ``weighting(inputs, c) -> [B]`` (``@register_weighting``).
"""

import dataclasses
from typing import Callable

import flax
import jax
import jax.numpy as jnp
import ml_collections

from jaxgen.families.flow_matching.paths import GaussianPath, expand
from jaxgen.registry import Registry

LOSSES = Registry("flow matching loss")
register_loss = LOSSES.register
WEIGHTINGS = Registry("flow matching loss weighting")
register_weighting = WEIGHTINGS.register
PARAMETERISATIONS = Registry("flow matching parameterisation")


@dataclasses.dataclass(frozen=True)
class Parameterisation:
  """``coefficients(path, t) -> (a, b)``: the prediction's target is a x_0 + b eps, each [B]."""
  coefficients: Callable[[GaussianPath, jax.Array], tuple[jax.Array, jax.Array]]

  def target(self, path: GaussianPath, x0: jax.Array, t: jax.Array, noise: jax.Array) -> jax.Array:
    a, b = self.coefficients(path, t)
    return expand(a, x0) * x0 + expand(b, x0) * noise

  def determinant(self, path: GaussianPath, t: jax.Array) -> jax.Array:
    """alpha b - sigma a of the 2x2 system (x_t, prediction) = M (x_0, eps): [B]; where it
    vanishes the prediction does not determine x_0 and eps."""
    a, b = self.coefficients(path, t)
    return path.alpha(t) * b - path.sigma(t) * a

  def denoised(self, path: GaussianPath, x_t: jax.Array, t: jax.Array,
               prediction: jax.Array) -> tuple[jax.Array, jax.Array]:
    """(x0_hat, eps_hat) from x_t = alpha x0 + sigma eps and prediction = a x0 + b eps, [B, ...]
    each, by Cramer's rule."""
    a, b = (expand(c, x_t) for c in self.coefficients(path, t))
    alpha, sigma = expand(path.alpha(t), x_t), expand(path.sigma(t), x_t)
    determinant = expand(self.determinant(path, t), x_t)
    return (b * x_t - sigma * prediction) / determinant, (alpha * prediction - a * x_t) / determinant


PARAMETERISATIONS.register("velocity")(Parameterisation(lambda p, t: (p.d_alpha(t), p.d_sigma(t))))
PARAMETERISATIONS.register("epsilon")(Parameterisation(lambda p, t: (jnp.zeros_like(t), jnp.ones_like(t))))
PARAMETERISATIONS.register("x0")(Parameterisation(lambda p, t: (jnp.ones_like(t), jnp.zeros_like(t))))
PARAMETERISATIONS.register("v")(Parameterisation(lambda p, t: (-p.sigma(t), p.alpha(t))))


def ode_velocity(path: GaussianPath, x0_hat: jax.Array, eps_hat: jax.Array, t: jax.Array) -> jax.Array:
  """The probability-flow ODE's dx/dt = alpha' x0_hat + sigma' eps_hat, [B, ...]."""
  return expand(path.d_alpha(t), x0_hat) * x0_hat + expand(path.d_sigma(t), eps_hat) * eps_hat


@flax.struct.dataclass
class LossInputs:
  """One noised batch and the network's prediction on it. Arrays [B, ...] unless noted."""
  prediction: jax.Array
  x0: jax.Array
  t: jax.Array  # [B] in [t_min, 1]
  noise: jax.Array
  path: GaussianPath = flax.struct.field(pytree_node=False)
  parameterisation: str = flax.struct.field(pytree_node=False)

  def mse(self) -> jax.Array:
    """Per-example mean squared error of the prediction against its target: [B]."""
    target = PARAMETERISATIONS.get(self.parameterisation).target(self.path, self.x0, self.t, self.noise)
    error = jnp.square(self.prediction - target)
    return jnp.mean(error.reshape(error.shape[0], -1), axis=1)


@register_weighting("uniform")
def uniform(inputs: LossInputs, c: ml_collections.ConfigDict) -> jax.Array:
  """Every time alike: conditional flow matching (Lipman et al. eq. 9) with the velocity target,
  Song et al.'s denoising score matching with lambda = sigma^2 with the epsilon target."""
  return jnp.ones(inputs.t.shape)


@register_loss("mse")
def mse(inputs: LossInputs, c: ml_collections.ConfigDict):
  """The weighted MSE of the parameterisation's target at a random time (``loss.weighting``)."""
  error = inputs.mse()
  return WEIGHTINGS.get(c.weighting)(inputs, c) * error, {"mse": error}
