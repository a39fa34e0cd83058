"""A user's own metric, written the way jaxgen.eval writes its metrics (docs/extending.md).

The public function validates its inputs with ``jaxgen.eval.checks`` (one clear error for a bad
input) and returns a Python float; the arithmetic is a jitted jnp function run under
``jax.enable_x64``, so it reduces in float64 on any backend.
"""

import jax
import jax.numpy as jnp

from jaxgen.eval.checks import as_vector


def energy_distance(x, y) -> float:
  """The energy distance between the empirical distributions of ``x: [N]`` and ``y: [M]``
  (Szekely & Rizzo 2013), in scipy.stats.energy_distance's convention:

    D(x, y) = sqrt(2 E|X - Y| - E|X - X'| - E|Y - Y'|),

  every expectation a mean over all pairs (V-statistics: D >= 0 and D(x, x) = 0). Memory is
  O((N + M)^2): subsample large sets.
  """
  x = as_vector(x, "x")
  y = as_vector(y, "y")
  with jax.enable_x64(True):
    return float(_energy_distance(x, y))


@jax.jit
def _energy_distance(x: jax.Array, y: jax.Array) -> jax.Array:
  def mean_gap(a, b):
    return jnp.mean(jnp.abs(a[:, None] - b[None, :]))

  squared = 2 * mean_gap(x, y) - mean_gap(x, x) - mean_gap(y, y)
  return jnp.sqrt(jnp.maximum(squared, 0.0))  # >= 0 exactly; rounding may dip below it
