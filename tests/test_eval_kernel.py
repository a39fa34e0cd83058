"""KID and Gaussian MMD^2 against explicit NumPy formulas on the same subsets."""

import jax
import numpy as np
import pytest
from scipy.spatial.distance import cdist

from jaxgen.errors import DataError
from jaxgen.eval import (gaussian_kernel, kid, kid_subset_indices, mmd2, polynomial_kernel,
                         unbiased_mmd2_from_kernels)


def numpy_unbiased_mmd2(k_xx, k_yy, k_xy):
  n, m = len(k_xx), len(k_yy)
  off_x = k_xx[~np.eye(n, dtype=bool)].sum() / (n * (n - 1))
  off_y = k_yy[~np.eye(m, dtype=bool)].sum() / (m * (m - 1))
  return off_x + off_y - 2 * k_xy.mean()


def numpy_polynomial_mmd2(x, y):
  dim = x.shape[1]
  kernel = lambda a, b: (a @ b.T / dim + 1) ** 3
  return numpy_unbiased_mmd2(kernel(x, x), kernel(y, y), kernel(x, y))


def test_kid_matches_numpy_on_the_same_subsets():
  rng = np.random.default_rng(0)
  features1 = rng.normal(size=(300, 16))
  features2 = rng.normal(size=(260, 16)) * 1.1 + 0.3
  indices1, indices2 = kid_subset_indices(300, 260, num_subsets=12, subset_size=100, seed=3)
  mmds = [numpy_polynomial_mmd2(features1[i1], features2[i2]) for i1, i2 in zip(indices1, indices2)]
  mean, std = kid(features1, features2, num_subsets=12, subset_size=100, seed=3)
  np.testing.assert_allclose(mean, np.mean(mmds), rtol=1e-6)
  np.testing.assert_allclose(std, np.std(mmds), rtol=1e-6)


def test_kid_matches_a_double_loop():
  rng = np.random.default_rng(1)
  x, y = rng.normal(size=(9, 5)), rng.normal(size=(9, 5)) + 0.5
  kernel = lambda a, b: (a @ b / 5 + 1) ** 3
  m = len(x)
  within = sum(kernel(x[i], x[j]) + kernel(y[i], y[j])
               for i in range(m) for j in range(m) if i != j)
  across = sum(kernel(x[i], y[j]) for i in range(m) for j in range(m))
  expected = within / (m * (m - 1)) - 2 * across / m**2
  # Subsets as large as the sets: every subset is a permutation, and MMD^2 is permutation-invariant.
  mean, std = kid(x, y, num_subsets=3, subset_size=9)
  np.testing.assert_allclose(mean, expected, rtol=1e-6)
  assert std < 1e-9 * abs(mean)


def test_subsets_are_torch_fidelity_draws_clipped_to_the_smaller_set():
  indices1, indices2 = kid_subset_indices(50, 30, num_subsets=4, subset_size=1000, seed=7)
  assert indices1.shape == indices2.shape == (4, 30)
  rng = np.random.RandomState(7)
  for first, second in zip(indices1, indices2):
    np.testing.assert_array_equal(first, rng.choice(50, 30, replace=False))
    np.testing.assert_array_equal(second, rng.choice(30, 30, replace=False))


def test_kid_near_zero_for_the_same_distribution():
  rng = np.random.default_rng(2)
  same, _ = kid(rng.normal(size=(1000, 32)), rng.normal(size=(1000, 32)), num_subsets=10,
                subset_size=500)
  shifted, _ = kid(rng.normal(size=(1000, 32)), rng.normal(size=(1000, 32)) + 0.3, num_subsets=10,
                   subset_size=500)
  assert abs(same) < 0.02 * shifted


def test_mmd2_matches_numpy_with_unequal_sizes():
  rng = np.random.default_rng(3)
  x, y = rng.normal(size=(120, 3)) * 2, rng.normal(size=(90, 3)) * 2 + 1.0
  bandwidths = (0.5, 1.0, 3.0)
  kernel = lambda a, b: sum(np.exp(-cdist(a, b, "sqeuclidean") / (2 * s**2)) for s in bandwidths)
  expected = numpy_unbiased_mmd2(kernel(x, x), kernel(y, y), kernel(x, y))
  np.testing.assert_allclose(mmd2(x, y, bandwidths), expected, rtol=1e-6)
  default = (1, 2, 4, 8, 16)
  kernel = lambda a, b: sum(np.exp(-cdist(a, b, "sqeuclidean") / (2 * s**2)) for s in default)
  expected = numpy_unbiased_mmd2(kernel(x, x), kernel(y, y), kernel(x, y))
  np.testing.assert_allclose(mmd2(x, y), expected, rtol=1e-6)


def test_mmd2_near_zero_for_the_same_distribution():
  rng = np.random.default_rng(4)
  same = mmd2(rng.normal(size=(400, 2)), rng.normal(size=(400, 2)))
  shifted = mmd2(rng.normal(size=(400, 2)), rng.normal(size=(400, 2)) + 0.5)
  assert abs(same) < 0.05 * shifted


def test_kernels_under_jit_in_float32():
  rng = np.random.default_rng(5)
  x = rng.normal(size=(40, 6)).astype(np.float32)
  y = rng.normal(size=(30, 6)).astype(np.float32)
  poly = jax.jit(lambda a, b: unbiased_mmd2_from_kernels(
      polynomial_kernel(a, a), polynomial_kernel(b, b), polynomial_kernel(a, b)))(x, y)
  assert poly.dtype == np.float32
  np.testing.assert_allclose(poly, numpy_polynomial_mmd2(x.astype(float), y.astype(float)),
                             rtol=1e-4, atol=1e-5)
  gauss = jax.jit(gaussian_kernel)(x, y)
  expected = sum(np.exp(-cdist(x, y, "sqeuclidean") / (2 * s**2)) for s in (1, 2, 4, 8, 16))
  np.testing.assert_allclose(gauss, expected, rtol=1e-5)


def test_bad_inputs_raise_data_error():
  rng = np.random.default_rng(6)
  with pytest.raises(DataError, match="same feature dimension"):
    kid(rng.normal(size=(20, 4)), rng.normal(size=(20, 5)))
  with pytest.raises(DataError, match="same feature dimension"):
    mmd2(rng.normal(size=(20, 4)), rng.normal(size=(20, 5)))
  with pytest.raises(DataError, match="finite"):
    mmd2(np.full((5, 2), np.inf), rng.normal(size=(5, 2)))
  with pytest.raises(DataError, match="at least 2"):
    kid(rng.normal(size=(1, 4)), rng.normal(size=(20, 4)))
