"""Precision/recall and density/coverage against brute force on full cdist matrices."""

import numpy as np
import pytest
from scipy.spatial.distance import cdist

from jaxgen.errors import DataError
from jaxgen.eval import density_coverage, precision_recall


def kth_neighbour_radii(points, k):
  distances = cdist(points, points)
  np.fill_diagonal(distances, np.inf)  # exclude itself
  return np.sort(distances, axis=1)[:, k - 1]


def brute_force_prdc(real, fake, k_pr, k_dc):
  real_fake = cdist(real, fake)  # [N, M]
  real_radii, fake_radii = kth_neighbour_radii(real, k_pr), kth_neighbour_radii(fake, k_pr)
  precision = np.mean([np.any(real_fake[:, j] <= real_radii) for j in range(len(fake))])
  recall = np.mean([np.any(real_fake[i] <= fake_radii) for i in range(len(real))])
  real_radii = kth_neighbour_radii(real, k_dc)
  density = np.sum(real_fake < real_radii[:, None]) / (k_dc * len(fake))
  coverage = np.mean(real_fake.min(axis=1) < real_radii)
  return precision, recall, density, coverage


@pytest.mark.parametrize("block_size", [1024, 37])
def test_matches_brute_force(block_size):
  rng = np.random.default_rng(0)
  real = rng.normal(size=(300, 10))
  fake = rng.normal(size=(250, 10)) * 1.2 + 0.3
  expected = brute_force_prdc(real, fake, k_pr=3, k_dc=5)
  pr = precision_recall(real, fake, k=3, block_size=block_size)
  dc = density_coverage(real, fake, k=5, block_size=block_size)
  actual = [pr["precision"], pr["recall"], dc["density"], dc["coverage"]]
  np.testing.assert_allclose(actual, expected, rtol=1e-6)
  assert 0.05 < min(expected) and max(expected[:2]) < 0.95  # a test that can fail either way


def test_prdc_readme_sanity_check_smaller():
  # prdc README: N(0, I) real vs fake (10k vs 10k, 1000-d) gives P, R ~ .48, D ~ 1, C ~ .97;
  # at 2000 vs 2000 in 64-d the k-NN balls cover more (P, R ~ .71 over seeds), D and C as there.
  rng = np.random.default_rng(1)
  real, fake = rng.normal(size=(2000, 64)), rng.normal(size=(2000, 64))
  pr = precision_recall(real, fake, k=5)
  dc = density_coverage(real, fake, k=5)
  assert 0.6 < pr["precision"] < 0.85 and 0.6 < pr["recall"] < 0.85
  assert 0.85 < dc["density"] < 1.15 and 0.9 < dc["coverage"] <= 1.0


def test_exact_copies_score_perfectly():
  real = np.random.default_rng(2).normal(size=(100, 4))
  assert precision_recall(real, real.copy()) == {"precision": 1.0, "recall": 1.0}
  assert density_coverage(real, real.copy())["coverage"] == 1.0


def test_bad_inputs_raise_data_error():
  rng = np.random.default_rng(3)
  with pytest.raises(DataError, match="same feature dimension"):
    precision_recall(rng.normal(size=(10, 3)), rng.normal(size=(10, 4)))
  with pytest.raises(DataError, match="at least 4 samples"):
    precision_recall(rng.normal(size=(10, 3)), rng.normal(size=(3, 3)), k=3)
  with pytest.raises(DataError, match="finite"):
    density_coverage(np.full((10, 3), np.nan), rng.normal(size=(10, 3)))
