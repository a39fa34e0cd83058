"""FID against a test-local pytorch-fid implementation (scipy.linalg.sqrtm route)."""

import warnings

import numpy as np
import pytest
from scipy import linalg

from jaxgen.errors import DataError
from jaxgen.eval import RunningStatistics, fid_from_features, fid_from_statistics, frechet_distance


def pytorch_fid_distance(mu1, sigma1, mu2, sigma2, eps=1e-6):
  """pytorch-fid ``calculate_frechet_distance``: sqrtm, 1e-6 I if singular, 1e-3 imaginary check."""
  diff = mu1 - mu2
  covmean = linalg.sqrtm(sigma1.dot(sigma2))
  if not np.isfinite(covmean).all():
    offset = np.eye(sigma1.shape[0]) * eps
    covmean = linalg.sqrtm((sigma1 + offset).dot(sigma2 + offset))
  if np.iscomplexobj(covmean):
    assert np.allclose(np.diagonal(covmean).imag, 0, atol=1e-3)
    covmean = covmean.real
  return diff.dot(diff) + np.trace(sigma1) + np.trace(sigma2) - 2 * np.trace(covmean)


def correlated_features(rng, num, dim, shift=0.0):
  mixing = rng.normal(size=(dim, dim)) / np.sqrt(dim)
  return rng.normal(size=(num, dim)) @ mixing + shift


def test_fid_from_features_matches_pytorch_fid():
  rng = np.random.default_rng(0)
  features1 = correlated_features(rng, 300, 24)
  features2 = correlated_features(rng, 250, 24, shift=0.5)
  expected = pytorch_fid_distance(features1.mean(0), np.cov(features1, rowvar=False),
                                  features2.mean(0), np.cov(features2, rowvar=False))
  np.testing.assert_allclose(fid_from_features(features1, features2), expected, rtol=1e-6)


def test_frechet_distance_matches_pytorch_fid_on_random_covariances():
  rng = np.random.default_rng(1)
  dim = 40
  factors = [rng.normal(size=(dim, 2 * dim)) for _ in range(2)]
  sigma1, sigma2 = [f @ f.T / (2 * dim) for f in factors]
  mu1, mu2 = rng.normal(size=dim), rng.normal(size=dim)
  np.testing.assert_allclose(frechet_distance(mu1, sigma1, mu2, sigma2),
                             pytorch_fid_distance(mu1, sigma1, mu2, sigma2), rtol=1e-6)


def test_identical_statistics_give_zero():
  rng = np.random.default_rng(2)
  features = correlated_features(rng, 200, 16)
  mu, sigma = features.mean(0), np.cov(features, rowvar=False)
  assert abs(frechet_distance(mu, sigma, mu, sigma)) < 1e-9 * np.trace(sigma)


def test_running_statistics_uneven_batches_equal_all_at_once():
  rng = np.random.default_rng(3)
  features1 = correlated_features(rng, 200, 12)
  features2 = correlated_features(rng, 180, 12, shift=0.2)
  stats1 = RunningStatistics()
  for batch in np.split(features1, [1, 8, 58, 61]):
    stats1.update(batch)
  stats2 = RunningStatistics().update(features2[:77])
  stats2.merge(RunningStatistics().update(features2[77:]))
  assert stats1.count == 200 and stats2.count == 180
  np.testing.assert_allclose(stats1.mean, np.mean(features1, axis=0), rtol=1e-12, atol=1e-14)
  for stats, features in ((stats1, features1), (stats2, features2)):
    np.testing.assert_allclose(stats.covariance, np.cov(features, rowvar=False), rtol=1e-10,
                               atol=1e-14)
  np.testing.assert_allclose(fid_from_statistics(stats1, stats2),
                             fid_from_features(features1, features2), rtol=1e-9)


def test_running_statistics_stable_with_large_offset():
  # Raw sums of x x^T would lose every digit of a 1e-2 spread around a 1e6 mean.
  rng = np.random.default_rng(4)
  noise = rng.normal(size=(1000, 4)) * 1e-2
  stats = RunningStatistics()
  for batch in np.array_split(noise + 1e6, 7):
    stats.update(batch)
  np.testing.assert_allclose(stats.covariance, np.cov(noise, rowvar=False), rtol=1e-6, atol=1e-12)


def test_warns_when_fewer_samples_than_dimensions():
  rng = np.random.default_rng(5)
  features1, features2 = rng.normal(size=(20, 32)), rng.normal(size=(20, 32)) + 0.1
  with pytest.warns(UserWarning, match=r"biased.*N=20.*D=32"):
    value = fid_from_features(features1, features2)
  # Rank-deficient covariances: here pytorch-fid's sqrtm leaves imaginary parts above its 1e-3
  # limit and raises; check against tr (S1^1/2 S2 S1^1/2)^1/2 from symmetric eigendecompositions.
  sigma1, sigma2 = np.cov(features1, rowvar=False), np.cov(features2, rowvar=False)
  eigenvalues, eigenvectors = np.linalg.eigh(sigma1)
  root1 = eigenvectors @ np.diag(np.sqrt(np.clip(eigenvalues, 0, None))) @ eigenvectors.T
  trace_sqrt = np.sqrt(np.clip(np.linalg.eigvalsh(root1 @ sigma2 @ root1), 0, None)).sum()
  diff = features1.mean(0) - features2.mean(0)
  expected = diff @ diff + np.trace(sigma1) + np.trace(sigma2) - 2 * trace_sqrt
  np.testing.assert_allclose(value, expected, rtol=1e-6)


def test_no_warning_with_enough_samples():
  rng = np.random.default_rng(6)
  with warnings.catch_warnings():
    warnings.simplefilter("error")
    fid_from_features(rng.normal(size=(50, 8)), rng.normal(size=(50, 8)))


def test_bad_inputs_raise_data_error():
  rng = np.random.default_rng(7)
  features = rng.normal(size=(30, 8))
  with pytest.raises(DataError, match="same feature dimension"):
    fid_from_features(features, rng.normal(size=(30, 9)))
  with_nan = features.copy()
  with_nan[3, 2] = np.nan
  with pytest.raises(DataError, match="finite"):
    fid_from_features(with_nan, features)
  with pytest.raises(DataError, match="dimension 8"):
    RunningStatistics().update(features).update(rng.normal(size=(5, 9)))
  with pytest.raises(DataError, match="non-empty"):
    RunningStatistics().update(np.zeros((0, 8)))
  with pytest.raises(DataError, match="sigma1"):
    frechet_distance(np.zeros(3), np.eye(4), np.zeros(3), np.eye(3))
