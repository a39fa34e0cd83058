"""Kernel two-sample distances: KID and multi-bandwidth Gaussian MMD^2.

Kernel matrices are jnp functions (jit-able, usable inside a training step, e.g. as an MMD loss);
``kid`` and ``mmd2`` run them under ``jax.enable_x64`` so the kernel sums, which cancel against
each other in MMD^2, are float64 without changing jax's process-wide default dtype.
"""

import functools

import jax
import jax.numpy as jnp
import numpy as np

from jaxgen.eval.checks import as_features, check_num_samples, check_parameter, check_same_dim

# Li et al. 2017 (MMD GAN), reference code: sigma_list = [1, 2, 4, 8, 16].
DEFAULT_BANDWIDTHS = (1.0, 2.0, 4.0, 8.0, 16.0)


def squared_distances(x: jax.Array, y: jax.Array) -> jax.Array:
  """[N, M] squared Euclidean distances between ``x: [N, D]`` and ``y: [M, D]``.

  Uses ``|x|^2 + |y|^2 - 2 x.y`` (one matmul, no [N, M, D] intermediate), clipped at 0 against
  rounding.
  """
  cross = jnp.matmul(x, y.T, precision=jax.lax.Precision.HIGHEST)
  squared = jnp.sum(x * x, axis=1)[:, None] + jnp.sum(y * y, axis=1)[None, :] - 2.0 * cross
  return jnp.maximum(squared, 0.0)


def polynomial_kernel(x: jax.Array, y: jax.Array) -> jax.Array:
  """KID's kernel ``k(x, y) = (x.y / D + 1)^3``: [N, M] for ``x: [N, D]``, ``y: [M, D]``."""
  cross = jnp.matmul(x, y.T, precision=jax.lax.Precision.HIGHEST)
  return (cross / x.shape[1] + 1.0) ** 3


def gaussian_kernel(x: jax.Array, y: jax.Array, bandwidths=DEFAULT_BANDWIDTHS) -> jax.Array:
  """``k(x, y) = sum_s exp(-|x - y|^2 / (2 s^2))`` over ``bandwidths`` s: [N, M]."""
  squared = squared_distances(x, y)
  return sum(jnp.exp(-squared / (2.0 * bandwidth**2)) for bandwidth in bandwidths)


def unbiased_mmd2_from_kernels(k_xx: jax.Array, k_yy: jax.Array, k_xy: jax.Array) -> jax.Array:
  """Unbiased MMD^2 (Gretton et al. 2012) from kernel matrices [N, N], [M, M], [N, M].

  ``sum_{i != j} k_xx / (N (N-1)) + sum_{i != j} k_yy / (M (M-1)) - 2 mean(k_xy)``: the
  off-diagonal means of ``k_xx`` and ``k_yy`` minus twice the mean of ``k_xy`` (torch-fidelity
  ``metric_kid.py`` ``mmd2``, estimator "unbiased", for N = M). Can be slightly negative.
  """
  n, m = k_xx.shape[0], k_yy.shape[0]
  within_x = (jnp.sum(k_xx) - jnp.trace(k_xx)) / (n * (n - 1))
  within_y = (jnp.sum(k_yy) - jnp.trace(k_yy)) / (m * (m - 1))
  return within_x + within_y - 2.0 * jnp.mean(k_xy)


def kid_subset_indices(num_samples1: int, num_samples2: int, num_subsets: int = 100,
                       subset_size: int = 1000, seed: int = 0):
  """The subsets ``kid`` averages over: ``(indices1, indices2)``, each [num_subsets, m].

  ``m = min(subset_size, num_samples1, num_samples2)``. Drawn as torch-fidelity does: one
  ``np.random.RandomState(seed)``, and per subset ``choice(num_samples1, m, replace=False)`` then
  ``choice(num_samples2, m, replace=False)``; with the same seed and ``m`` the subsets are
  torch-fidelity's.
  """
  size = min(subset_size, num_samples1, num_samples2)
  rng = np.random.RandomState(seed)
  pairs = [(rng.choice(num_samples1, size, replace=False),
            rng.choice(num_samples2, size, replace=False)) for _ in range(num_subsets)]
  return np.stack([first for first, _ in pairs]), np.stack([second for _, second in pairs])


def kid(features1, features2, num_subsets: int = 100, subset_size: int = 1000, seed: int = 0):
  """Kernel Inception Distance (Binkowski et al. 2018) as torch-fidelity ``metric_kid.py``.

  Unbiased MMD^2 with the polynomial kernel ``(x.y / D + 1)^3`` on ``num_subsets`` random subsets
  of ``m`` samples from each set (``kid_subset_indices``); returns the mean and the (ddof=0)
  standard deviation over subsets. Deviation: torch-fidelity refuses ``subset_size`` larger than
  either sample count; here it is clipped to the smaller count, so small evaluation sets still
  get a number (with fewer distinct subsets, hence a larger spread).

  Args:
    features1: [N, D]; features2: [M, D]; N, M >= 2.
  Returns:
    ``(mean, std)`` as Python floats.
  """
  features1 = as_features(features1, "features1")
  features2 = as_features(features2, "features2")
  check_same_dim(features1, features2, "features1", "features2")
  check_num_samples(features1, 2, "features1", "for an unbiased MMD")
  check_num_samples(features2, 2, "features2", "for an unbiased MMD")
  check_parameter(num_subsets, 1, "num_subsets")
  check_parameter(subset_size, 2, "subset_size")
  indices1, indices2 = kid_subset_indices(
      features1.shape[0], features2.shape[0], num_subsets, subset_size, seed)
  with jax.enable_x64(True):
    mmds = np.asarray(_polynomial_mmd2_per_subset(features1, features2, indices1, indices2))
  return float(np.mean(mmds)), float(np.std(mmds))


@jax.jit
def _polynomial_mmd2_per_subset(features1, features2, indices1, indices2):
  # One subset at a time: memory is three [m, m] kernels, not num_subsets of them.
  def one_subset(indices):
    x, y = features1[indices[0]], features2[indices[1]]
    return unbiased_mmd2_from_kernels(
        polynomial_kernel(x, x), polynomial_kernel(y, y), polynomial_kernel(x, y))

  return jax.lax.map(one_subset, (indices1, indices2))


def mmd2(x, y, bandwidths=DEFAULT_BANDWIDTHS) -> float:
  """Unbiased MMD^2 (Gretton et al. 2012) with a sum of Gaussian kernels, in float64.

  ``k(x, y) = sum_s exp(-|x - y|^2 / (2 s^2))``. The default bandwidths s = 1, 2, 4, 8, 16 are
  those of Li et al. 2017 (MMD GAN) reference code, suited to data of unit scale; pass bandwidths
  matched to the data's scale otherwise. Memory is O((N + M)^2).

  Args:
    x: [N, D]; y: [M, D]; N, M >= 2.
  Returns:
    MMD^2 as a Python float (unbiased, so it can be slightly negative).
  """
  x = as_features(x, "x")
  y = as_features(y, "y")
  check_same_dim(x, y, "x", "y")
  check_num_samples(x, 2, "x", "for an unbiased MMD")
  check_num_samples(y, 2, "y", "for an unbiased MMD")
  bandwidths = tuple(float(bandwidth) for bandwidth in bandwidths)
  check_parameter(len(bandwidths), 1, "number of bandwidths")
  for bandwidth in bandwidths:
    check_parameter(bandwidth, 0.0, "bandwidths", exclusive=True)
  with jax.enable_x64(True):
    return float(_gaussian_mmd2(x, y, bandwidths))


@functools.partial(jax.jit, static_argnames="bandwidths")
def _gaussian_mmd2(x, y, bandwidths):
  return unbiased_mmd2_from_kernels(
      gaussian_kernel(x, x, bandwidths), gaussian_kernel(y, y, bandwidths),
      gaussian_kernel(x, y, bandwidths))
