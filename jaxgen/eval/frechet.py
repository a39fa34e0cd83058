"""Frechet distance between Gaussians fitted to features (FID), with streaming statistics.

Follows pytorch-fid ``fid_score.py`` (Heusel et al. 2017, TTUR) for the statistics: the mean and
the N-1 normalised covariance (``np.cov(act, rowvar=False)``), and torch-fidelity
``metric_fid.py`` for the matrix square root (see ``frechet_distance``). Everything is float64.
"""

import warnings

import numpy as np

from jaxgen.errors import DataError
from jaxgen.eval.checks import as_features, as_finite_array, check_num_samples, check_same_dim


class RunningStatistics:
  """Mean and covariance of features seen in batches, in float64, without keeping the features.

  Holds the count, the mean and the centred scatter matrix ``sum_i (x_i - mean)(x_i - mean)^T``.
  A batch (or another ``RunningStatistics``) is folded in with Chan et al.'s pairwise update
  (1979): with counts ``n_a, n_b`` and ``delta = mean_b - mean_a``,
  ``mean = mean_a + delta n_b / n`` and
  ``scatter = scatter_a + scatter_b + delta delta^T n_a n_b / n``.
  Unlike raw sums of ``x`` and ``x x^T``, this does not cancel catastrophically when the mean is
  large against the spread.
  """

  def __init__(self):
    self._count = 0
    self._mean = None
    self._scatter = None

  @property
  def count(self) -> int:
    """Number of feature vectors seen."""
    return self._count

  @property
  def num_features(self):
    """Feature dimension D (None before the first update)."""
    return None if self._mean is None else self._mean.shape[0]

  @property
  def mean(self) -> np.ndarray:
    """[D] mean of the features seen."""
    if self._count == 0:
      raise DataError("RunningStatistics: expected at least 1 feature vector for a mean, got 0")
    return self._mean.copy()

  @property
  def covariance(self) -> np.ndarray:
    """[D, D] covariance normalised by N - 1, as ``np.cov(features, rowvar=False)``."""
    if self._count < 2:
      raise DataError("RunningStatistics: expected at least 2 feature vectors for a covariance, "
                      f"got {self._count}")
    return self._scatter / (self._count - 1)

  def update(self, features) -> "RunningStatistics":
    """Folds in a batch ``features: [B, D]``; returns ``self``."""
    batch = as_features(features, "features")
    batch_mean = batch.mean(axis=0)
    centred = batch - batch_mean
    self._combine(batch.shape[0], batch_mean, centred.T @ centred)
    return self

  def merge(self, other: "RunningStatistics") -> "RunningStatistics":
    """Folds in the statistics of ``other`` (e.g. another host's); returns ``self``."""
    if other.count:
      self._combine(other.count, other._mean, other._scatter)
    return self

  @classmethod
  def from_moments(cls, count: int, mean: np.ndarray, covariance: np.ndarray) -> "RunningStatistics":
    """Statistics of ``count`` samples with this mean and (N - 1)-normalised covariance (a cache)."""
    statistics = cls()
    mean = np.asarray(mean, np.float64)
    statistics._combine(int(count), mean, np.asarray(covariance, np.float64) * (count - 1))
    return statistics

  def _combine(self, count: int, mean: np.ndarray, scatter: np.ndarray) -> None:
    if self._mean is not None and mean.shape[0] != self._mean.shape[0]:
      raise DataError(f"RunningStatistics: expected features of dimension {self._mean.shape[0]}, "
                      f"got {mean.shape[0]}")
    if self._count == 0:
      self._count, self._mean, self._scatter = count, mean.copy(), scatter.copy()
      return
    total = self._count + count
    delta = mean - self._mean
    self._mean = self._mean + delta * (count / total)
    self._scatter = self._scatter + scatter + np.outer(delta, delta) * (self._count * count / total)
    self._count = total


def frechet_distance(mu1, sigma1, mu2, sigma2) -> float:
  """Frechet distance between N(mu1, sigma1) and N(mu2, sigma2).

  ``d = |mu1 - mu2|^2 + tr sigma1 + tr sigma2 - 2 tr sqrt(sigma1 sigma2)``.

  ``tr sqrt(sigma1 sigma2)`` is the sum of the square roots of the eigenvalues of
  ``sigma1 sigma2``, taken in complex128 and keeping the real part, as torch-fidelity
  ``metric_fid.py`` does. ``sigma1 sigma2`` is similar to the PSD matrix
  ``sigma1^1/2 sigma2 sigma1^1/2``, so its eigenvalues are real and >= 0 up to rounding; this
  needs no ``scipy.linalg.sqrtm``, so no 1e-6 I offset for singular products and no rejected
  imaginary parts as in pytorch-fid (the tests check both routes agree). Like both references the
  result is not clamped: for identical statistics it is 0 up to rounding, possibly slightly < 0.

  Args:
    mu1, mu2: [D] means.
    sigma1, sigma2: [D, D] covariances.
  Returns:
    The distance as a Python float.
  """
  mu1, sigma1 = _gaussian(mu1, sigma1, "1")
  mu2, sigma2 = _gaussian(mu2, sigma2, "2")
  if mu1.shape != mu2.shape:
    raise DataError(
        f"mu1 and mu2: expected the same dimension, got {mu1.shape[0]} and {mu2.shape[0]}")
  diff = mu1 - mu2
  eigenvalues = np.linalg.eigvals(sigma1 @ sigma2).astype(np.complex128)
  trace_sqrt = np.sqrt(eigenvalues).real.sum()
  return float(diff @ diff + np.trace(sigma1) + np.trace(sigma2) - 2.0 * trace_sqrt)


def fid_from_statistics(stats1: RunningStatistics, stats2: RunningStatistics) -> float:
  """FID between two ``RunningStatistics``; warns when a covariance is rank-deficient (N <= D)."""
  for name, stats in (("stats1", stats1), ("stats2", stats2)):
    if stats.count < 2:
      raise DataError(f"{name}: expected at least 2 feature vectors, got {stats.count}")
    if stats.count <= stats.num_features:
      warnings.warn(
          f"{name}: FID estimate is biased: the covariance of N={stats.count} samples in "
          f"D={stats.num_features} dimensions is rank-deficient (N <= D); use more samples",
          stacklevel=2)
  return frechet_distance(stats1.mean, stats1.covariance, stats2.mean, stats2.covariance)


def fid_from_features(features1, features2) -> float:
  """FID between ``features1: [N, D]`` and ``features2: [M, D]`` (see ``frechet_distance``)."""
  features1 = as_features(features1, "features1")
  features2 = as_features(features2, "features2")
  check_same_dim(features1, features2, "features1", "features2")
  check_num_samples(features1, 2, "features1", "for a covariance")
  check_num_samples(features2, 2, "features2", "for a covariance")
  return fid_from_statistics(RunningStatistics().update(features1),
                             RunningStatistics().update(features2))


def _gaussian(mu, sigma, suffix: str):
  mu = as_finite_array(mu, "mu" + suffix, ndim=1)
  sigma = as_finite_array(sigma, "sigma" + suffix, ndim=2)
  if sigma.shape != (mu.shape[0], mu.shape[0]):
    raise DataError(f"sigma{suffix}: expected shape ({mu.shape[0]}, {mu.shape[0]}) to match "
                    f"mu{suffix}, got {sigma.shape}")
  return mu, sigma
