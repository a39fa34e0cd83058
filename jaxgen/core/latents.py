"""Paths between latent codes: linear (lerp) and spherical (slerp) interpolation.

Shared by every family that decodes latent codes (autoencoders, VAEs, GANs). Spherical
interpolation (Shoemake 1985; White 2016, "Sampling Generative Networks") keeps the norm of a
path between two draws of a high-dimensional Gaussian near the norm the prior puts its mass at,
where a straight line passes through the low-norm interior that the decoder never saw.
"""

import jax
import jax.numpy as jnp

from jaxgen.errors import UnknownNameError

# Below this angle (radians) the two codes are parallel and slerp's 1/sin(omega) blows up;
# slerp and lerp agree there to O(omega^2), so lerp is used.
_PARALLEL_ANGLE = 1e-4


def lerp(z_a: jax.Array, z_b: jax.Array, t: jax.Array) -> jax.Array:
  """``(1 - t) z_a + t z_b``. z_a, z_b: [K]; t: [T] -> [T, K]."""
  t = t[:, None]
  return (1.0 - t) * z_a + t * z_b


def slerp(z_a: jax.Array, z_b: jax.Array, t: jax.Array) -> jax.Array:
  """``sin((1 - t) w) / sin(w) z_a + sin(t w) / sin(w) z_b``, w the angle between z_a and z_b.

  z_a, z_b: [K]; t: [T] -> [T, K]. Falls back to ``lerp`` for (anti-)parallel or zero codes.
  """
  norms = jnp.linalg.norm(z_a) * jnp.linalg.norm(z_b)
  cosine = jnp.clip(jnp.dot(z_a, z_b) / jnp.maximum(norms, 1e-12), -1.0, 1.0)
  omega = jnp.arccos(cosine)
  parallel = (omega < _PARALLEL_ANGLE) | (jnp.pi - omega < _PARALLEL_ANGLE) | (norms == 0)
  # A safe angle in the discarded branch keeps its gradient finite under jnp.where.
  safe_omega = jnp.where(parallel, 1.0, omega)
  t = t[:, None]
  spherical = (jnp.sin((1.0 - t) * safe_omega) * z_a
               + jnp.sin(t * safe_omega) * z_b) / jnp.sin(safe_omega)
  return jnp.where(parallel, lerp(z_a, z_b, t[:, 0]), spherical)


INTERPOLATIONS = {"linear": lerp, "spherical": slerp}


def interpolate(z_a: jax.Array, z_b: jax.Array, num_steps: int, method: str = "linear") -> jax.Array:
  """``num_steps`` codes from z_a to z_b (both ends included). z_a, z_b: [K] -> [num_steps, K].

  method: ``linear`` (lerp) or ``spherical`` (slerp).
  """
  if method not in INTERPOLATIONS:
    raise UnknownNameError(f"unknown interpolation {method!r}; valid: {', '.join(INTERPOLATIONS)}")
  return INTERPOLATIONS[method](z_a, z_b, jnp.linspace(0.0, 1.0, num_steps))
