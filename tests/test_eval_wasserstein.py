"""1-D and sliced Wasserstein against scipy and the sorted-difference formula."""

import numpy as np
import pytest
from scipy.stats import wasserstein_distance

from jaxgen.errors import ConfigError, DataError
from jaxgen.eval import random_directions, sliced_wasserstein, wasserstein_1d


def sorted_difference_wasserstein(x, y, p):
  """W_p for equal sizes: the i-th smallest of x is matched to the i-th smallest of y."""
  return np.mean(np.abs(np.sort(x) - np.sort(y)) ** p) ** (1 / p)


def test_wasserstein_1d_p1_matches_scipy_on_unequal_sizes():
  rng = np.random.default_rng(0)
  x, y = rng.normal(size=137), rng.gamma(2.0, size=89)
  np.testing.assert_allclose(wasserstein_1d(x, y), wasserstein_distance(x, y), rtol=1e-6)
  ties_x, ties_y = rng.integers(0, 5, size=40), rng.integers(1, 7, size=25)
  np.testing.assert_allclose(wasserstein_1d(ties_x, ties_y), wasserstein_distance(ties_x, ties_y),
                             rtol=1e-6)


def test_wasserstein_1d_p2_matches_sorted_differences():
  rng = np.random.default_rng(1)
  x, y = rng.normal(size=200), rng.normal(size=200) * 2 + 1
  np.testing.assert_allclose(wasserstein_1d(x, y, p=2), sorted_difference_wasserstein(x, y, 2),
                             rtol=1e-6)


@pytest.mark.parametrize("p", [2, 3])
def test_wasserstein_1d_unequal_sizes_via_repetition(p):
  # Repeating x M times and y N times gives the same distributions with equal sizes N M.
  rng = np.random.default_rng(2)
  x, y = rng.normal(size=12), rng.exponential(size=9)
  expected = sorted_difference_wasserstein(np.repeat(x, 9), np.repeat(y, 12), p)
  np.testing.assert_allclose(wasserstein_1d(x, y, p=p), expected, rtol=1e-6)


def test_random_directions_are_pot_projections():
  directions = random_directions(5, 30, seed=4)
  expected = np.random.RandomState(4).randn(5, 30)
  np.testing.assert_allclose(directions, expected / np.linalg.norm(expected, axis=0), rtol=1e-12)


def test_sliced_wasserstein_matches_numpy_on_the_same_projections():
  rng = np.random.default_rng(3)
  x, y = rng.normal(size=(150, 4)), rng.normal(size=(110, 4)) + np.array([1.0, 0.0, -0.5, 0.2])
  theta = np.random.RandomState(9).randn(4, 20)
  theta /= np.linalg.norm(theta, axis=0)
  w1 = [wasserstein_distance(x @ t, y @ t) for t in theta.T]
  np.testing.assert_allclose(sliced_wasserstein(x, y, num_projections=20, p=1, seed=9), np.mean(w1),
                             rtol=1e-6)
  x_equal, y_equal = x[:110], y
  w2_squared = [sorted_difference_wasserstein(x_equal @ t, y_equal @ t, 2) ** 2 for t in theta.T]
  np.testing.assert_allclose(sliced_wasserstein(x_equal, y_equal, num_projections=20, p=2, seed=9),
                             np.sqrt(np.mean(w2_squared)), rtol=1e-6)


def test_zero_between_identical_samples():
  x = np.random.default_rng(5).normal(size=(50, 3))
  assert sliced_wasserstein(x, x[::-1]) == 0.0
  assert wasserstein_1d(x[:, 0], x[::-1, 0], p=2) == 0.0


def test_bad_inputs():
  rng = np.random.default_rng(6)
  with pytest.raises(DataError, match="same feature dimension"):
    sliced_wasserstein(rng.normal(size=(10, 3)), rng.normal(size=(10, 2)))
  with pytest.raises(DataError, match="finite"):
    wasserstein_1d(np.array([0.0, np.nan]), rng.normal(size=4))
  with pytest.raises(DataError, match="1-D"):
    wasserstein_1d(rng.normal(size=(4, 2)), rng.normal(size=4))
  with pytest.raises(ConfigError, match="p"):
    wasserstein_1d(rng.normal(size=4), rng.normal(size=4), p=0.5)
