"""Paths between latent codes: linear (lerp) and spherical (slerp) interpolation.

Shared by every family that decodes latent codes (autoencoders, VAEs, GANs). Spherical
interpolation (Shoemake 1985; White 2016, "Sampling Generative Networks") keeps the norm of a
path between two draws of a high-dimensional Gaussian near the norm the prior puts its mass at,
where a straight line passes through the low-norm interior that the decoder never saw.
"""

import jax
import jax.numpy as jnp

from jaxgen.errors import UnknownNameError

# Codes this close to (anti-)parallel (angle below ~1.4e-3 rad) make slerp's 1/sin(omega) blow
# up; slerp and lerp agree there to O(omega^2), so lerp is used.
_PARALLEL_COSINE = 1.0 - 1e-6


def lerp(z_a: jax.Array, z_b: jax.Array, t: jax.Array) -> jax.Array:
  """``(1 - t) z_a + t z_b``. z_a, z_b: [K]; t: [T] -> [T, K]."""
  t = t[:, None]
  return (1.0 - t) * z_a + t * z_b


def slerp(z_a: jax.Array, z_b: jax.Array, t: jax.Array) -> jax.Array:
  """``sin((1 - t) w) / sin(w) z_a + sin(t w) / sin(w) z_b``, w the angle between z_a and z_b.

  z_a, z_b: [K]; t: [T] -> [T, K]. Falls back to ``lerp`` for (anti-)parallel or zero codes.
  """
  squared_norms = jnp.dot(z_a, z_a) * jnp.dot(z_b, z_b)
  cosine = jnp.dot(z_a, z_b) / jnp.sqrt(jnp.maximum(squared_norms, 1e-24))
  parallel = (jnp.abs(cosine) > _PARALLEL_COSINE) | (squared_norms == 0)
  # A safe angle in the discarded branch keeps its gradient finite under jnp.where.
  omega = jnp.arccos(jnp.where(parallel, 0.0, cosine))
  t = t[:, None]
  spherical = (jnp.sin((1.0 - t) * omega) * z_a
               + jnp.sin(t * omega) * z_b) / jnp.sin(omega)
  return jnp.where(parallel, lerp(z_a, z_b, t[:, 0]), spherical)


INTERPOLATIONS = {"linear": lerp, "spherical": slerp}


def interpolate(z_a: jax.Array, z_b: jax.Array, num_steps: int, method: str = "linear") -> jax.Array:
  """``num_steps`` codes from z_a to z_b (both ends included). z_a, z_b: [K] -> [num_steps, K].

  method: ``linear`` (lerp) or ``spherical`` (slerp).
  """
  if method not in INTERPOLATIONS:
    raise UnknownNameError(f"unknown interpolation {method!r}; valid: {', '.join(INTERPOLATIONS)}")
  return INTERPOLATIONS[method](z_a, z_b, jnp.linspace(0.0, 1.0, num_steps))


def paths(codes_a: jax.Array, codes_b: jax.Array, num_steps: int, method: str = "linear") -> jax.Array:
  """``interpolate`` for P pairs at once, so a grid decodes all its paths in one call.

  codes_a, codes_b: [P, *code] -> [P * num_steps, *code], pair i's path in rows i * num_steps...
  """
  flat = jax.vmap(lambda a, b: interpolate(a, b, num_steps, method))(
      codes_a.reshape(codes_a.shape[0], -1), codes_b.reshape(codes_b.shape[0], -1))
  return flat.reshape(-1, *codes_a.shape[1:])


def encoded_paths(encode, x_a: jax.Array, x_b: jax.Array, num_steps: int,
                  method: str = "linear") -> jax.Array:
  """``paths`` between the codes of x_a[i] and x_b[i], every end encoded in one call of ``encode``
  ([B, *shape] -> [B, *code]). x_a, x_b: [P, *shape] -> [P * num_steps, *code]."""
  z = encode(jnp.concatenate([x_a, x_b]))
  return paths(z[:len(x_a)], z[len(x_a):], num_steps, method)


def pair_ends(examples: jax.Array, num_pairs: int, offset: int) -> tuple[jax.Array, jax.Array]:
  """(examples[i], examples[offset + i]) for i < num_pairs, the ends of a grid's paths; indices
  past the last example take the last one, so a split smaller than the grid still fills it.
  examples: [N, ...] -> [num_pairs, ...] twice."""
  index = jnp.arange(num_pairs)
  return (jnp.take(examples, index, axis=0, mode="clip"),
          jnp.take(examples, offset + index, axis=0, mode="clip"))
