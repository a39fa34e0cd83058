"""k-NN manifold metrics: precision/recall (Kynkaanniemi et al. 2019) and density/coverage
(Naeem et al. 2020).

Each real (or fake) point gets a ball whose radius is the distance to its k-th nearest neighbour
in its own set, not counting itself. Distances are computed in float64 (``jax.enable_x64``) in
blocks of ``block_size`` rows against the whole other set, so memory is ``block_size x N``, never
N x M: 10k x 10k features stream through one jitted ``lax.map``.
"""

import functools

import jax
import jax.numpy as jnp

from jaxgen.eval.checks import as_features, check_num_samples, check_parameter, check_same_dim
from jaxgen.eval.kernel import squared_distances

DEFAULT_BLOCK_SIZE = 1024


def precision_recall(real, fake, k: int = 3, block_size: int = DEFAULT_BLOCK_SIZE) -> dict:
  """Improved precision and recall (Kynkaanniemi et al. 2019), k = 3 as in the paper.

  ``precision = mean_j [exists i: d(fake_j, real_i) <= r_k(real_i)]`` and
  ``recall = mean_i [exists j: d(real_i, fake_j) <= r_k(fake_j)]``, with ``r_k(p)`` the distance
  from ``p`` to its k-th nearest neighbour in its own set (itself excluded). Inside means ``<=``,
  as in the paper; ``prdc`` uses ``<`` (a difference only on ties).

  Args:
    real: [N, D]; fake: [M, D]; N, M > k.
  Returns:
    ``{"precision": float, "recall": float}``.
  """
  real, fake = _prepare(real, fake, k, block_size)
  check_num_samples(fake, k + 1, "fake", f"a k-th neighbour besides itself, k={k}")
  with jax.enable_x64(True):
    real_radii = _kth_neighbour_distances(real, k, block_size)
    fake_radii = _kth_neighbour_distances(fake, k, block_size)
    precision = _fraction_in_some_ball(fake, real, real_radii, block_size)
    recall = _fraction_in_some_ball(real, fake, fake_radii, block_size)
    return {"precision": float(precision), "recall": float(recall)}


def density_coverage(real, fake, k: int = 5, block_size: int = DEFAULT_BLOCK_SIZE) -> dict:
  """Density and coverage (Naeem et al. 2020), as their ``prdc`` package (k = 5 in its examples).

  With real radii ``r_k(real_i)`` (k-th nearest real neighbour, itself excluded) and strict ``<``
  as in ``prdc``: ``density = 1 / (k M) sum_j #{i: d(fake_j, real_i) < r_k(real_i)}`` and
  ``coverage = mean_i [min_j d(real_i, fake_j) < r_k(real_i)]``.

  Args:
    real: [N, D]; fake: [M, D]; N > k, M >= 1.
  Returns:
    ``{"density": float, "coverage": float}``.
  """
  real, fake = _prepare(real, fake, k, block_size)
  with jax.enable_x64(True):
    real_radii = _kth_neighbour_distances(real, k, block_size)
    density = _mean_balls_containing(fake, real, real_radii, block_size) / k
    coverage = _fraction_with_neighbour_inside(real, real_radii, fake, block_size)
    return {"density": float(density), "coverage": float(coverage)}


def _prepare(real, fake, k, block_size):
  real = as_features(real, "real")
  fake = as_features(fake, "fake")
  check_same_dim(real, fake, "real", "fake")
  check_parameter(k, 1, "k")
  check_parameter(block_size, 1, "block_size")
  check_num_samples(real, k + 1, "real", f"a k-th neighbour besides itself, k={k}")
  return real, fake


def _map_row_blocks(per_block, rows, block_size, *row_arrays):
  """Applies ``per_block`` to blocks of ``block_size`` rows of ``rows`` (and of ``row_arrays``).

  Rows are zero-padded to a multiple of the block size; the padded results are dropped.
  """
  num_rows = rows.shape[0]
  block_size = min(block_size, num_rows)
  num_blocks = -(-num_rows // block_size)
  padding = num_blocks * block_size - num_rows

  def blocked(array):
    array = jnp.pad(array, [(0, padding)] + [(0, 0)] * (array.ndim - 1))
    return array.reshape(num_blocks, block_size, *array.shape[1:])

  blocks = tuple(blocked(array) for array in (rows,) + row_arrays)
  results = jax.lax.map(lambda block: per_block(*block), blocks)
  return results.reshape(num_blocks * block_size)[:num_rows]


def _distances(x, y):
  return jnp.sqrt(squared_distances(x, y))


@functools.partial(jax.jit, static_argnames=("k", "block_size"))
def _kth_neighbour_distances(points, k, block_size):
  """[N] distance from each point to its k-th nearest other point (itself is the 0-th)."""
  def per_block(rows):
    return _kth_smallest(_distances(rows, points), k)

  return _map_row_blocks(per_block, points, block_size)


def _kth_smallest(values, k):
  """[B] the k-th smallest (0-based) entry of each row of ``values: [B, N]``.

  Masks each row's minimum k times, then takes the minimum: k cheap passes, where ``lax.top_k``
  sorts whole rows on XLA:CPU (about 20x slower for 2000-long rows). Masking by index keeps ties.
  """
  rows = jnp.arange(values.shape[0])

  def mask_minimum(_, values):
    return values.at[rows, jnp.argmin(values, axis=1)].set(jnp.inf)

  return jnp.min(jax.lax.fori_loop(0, k, mask_minimum, values), axis=1)


@functools.partial(jax.jit, static_argnames="block_size")
def _fraction_in_some_ball(points, centres, radii, block_size):
  """Fraction of ``points`` within (``<=``) the ball of at least one centre."""
  def per_block(rows):
    return jnp.any(_distances(rows, centres) <= radii[None, :], axis=1).astype(jnp.float64)

  return jnp.mean(_map_row_blocks(per_block, points, block_size))


@functools.partial(jax.jit, static_argnames="block_size")
def _mean_balls_containing(points, centres, radii, block_size):
  """Mean over ``points`` of the number of centre balls strictly containing them."""
  def per_block(rows):
    return jnp.sum(_distances(rows, centres) < radii[None, :], axis=1).astype(jnp.float64)

  return jnp.mean(_map_row_blocks(per_block, points, block_size))


@functools.partial(jax.jit, static_argnames="block_size")
def _fraction_with_neighbour_inside(centres, radii, points, block_size):
  """Fraction of centres whose ball strictly contains the nearest of ``points``."""
  def per_block(rows, row_radii):
    return (jnp.min(_distances(rows, points), axis=1) < row_radii).astype(jnp.float64)

  return jnp.mean(_map_row_blocks(per_block, centres, block_size, radii))
