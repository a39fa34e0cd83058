"""Exact 1-D Wasserstein distances between empirical distributions, and sliced Wasserstein (POT).

For samples of sizes N and M with uniform weights, ``W_p^p = int_0^1 |F^-1(t) - G^-1(t)|^p dt``
(the quantile-function formula). Both quantile functions are step functions that jump only at
``t = i / N`` and ``t = j / M``; between consecutive jumps of the merged grid both are constant,
so the integral is an exact finite sum. The grid is built on integers (``i M`` and ``j N`` over
``N M``), so no float rounding decides which quantiles pair up.
"""

import jax
import jax.numpy as jnp
import numpy as np

from jaxgen.eval.checks import as_features, as_vector, check_parameter, check_same_dim

DEFAULT_NUM_PROJECTIONS = 50  # POT's default n_projections.


def wasserstein_1d(x, y, p: float = 1) -> float:
  """``W_p`` between the empirical distributions of ``x: [N]`` and ``y: [M]`` (N != M allowed).

  Exact: ``(sum_k w_k |x_(a_k) - y_(b_k)|^p)^(1/p)`` over the merged quantile grid (see the module
  docstring). For p = 1 this equals ``scipy.stats.wasserstein_distance``.
  """
  x = as_vector(x, "x")
  y = as_vector(y, "y")
  check_parameter(p, 1, "p")
  with jax.enable_x64(True):
    powered = _wasserstein_pp(x[:, None], y[:, None], *_quantile_grid(x.shape[0], y.shape[0]), p)
    return float(powered[0]) ** (1.0 / p)


def random_directions(dim: int, num_projections: int, seed: int = 0) -> np.ndarray:
  """[dim, num_projections] directions uniform on the sphere, as POT's ``get_random_projections``.

  Columns of ``np.random.RandomState(seed).randn(dim, num_projections)``, normalised; with the
  same seed they are POT's projections.
  """
  directions = np.random.RandomState(seed).randn(dim, num_projections)
  return directions / np.linalg.norm(directions, axis=0, keepdims=True)


def sliced_wasserstein(x, y, num_projections: int = DEFAULT_NUM_PROJECTIONS, p: float = 2,
                       seed: int = 0) -> float:
  """Sliced Wasserstein distance, POT's ``sliced_wasserstein_distance`` convention.

  ``SW_p = (mean_theta W_p^p(theta^T X, theta^T Y))^(1/p)`` over ``num_projections`` directions
  theta from ``random_directions(D, num_projections, seed)``, each 1-D ``W_p^p`` exact (see
  ``wasserstein_1d``). A Monte Carlo estimate of the sliced distance: it varies with ``seed``.

  Args:
    x: [N, D]; y: [M, D].
  Returns:
    ``SW_p`` as a Python float.
  """
  x = as_features(x, "x")
  y = as_features(y, "y")
  check_same_dim(x, y, "x", "y")
  check_parameter(num_projections, 1, "num_projections")
  check_parameter(p, 1, "p")
  directions = random_directions(x.shape[1], num_projections, seed)
  with jax.enable_x64(True):
    powered = _wasserstein_pp(x @ directions, y @ directions,
                              *_quantile_grid(x.shape[0], y.shape[0]), p)
    return float(jnp.mean(powered)) ** (1.0 / p)


def _quantile_grid(num_x: int, num_y: int):
  """Pieces of the merged quantile grid: (index into sorted x, index into sorted y, weight).

  On the piece ending at level ``t = b / (N M)`` the quantiles are ``x_(ceil(t N))`` and
  ``y_(ceil(t M))`` (1-based); the weight is the piece's length.
  """
  ends = np.union1d(np.arange(1, num_x + 1, dtype=np.int64) * num_y,
                    np.arange(1, num_y + 1, dtype=np.int64) * num_x)
  weights = np.diff(ends, prepend=0) / (num_x * num_y)
  return -(-ends // num_y) - 1, -(-ends // num_x) - 1, weights


@jax.jit
def _wasserstein_pp(x, y, x_index, y_index, weights, p):
  """[L] ``W_p^p`` between the columns of ``x: [N, L]`` and ``y: [M, L]``."""
  gaps = jnp.abs(jnp.sort(x, axis=0)[x_index] - jnp.sort(y, axis=0)[y_index])
  return jnp.sum(weights[:, None] * gaps**p, axis=0)
