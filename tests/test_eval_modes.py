"""Mode counting on the ring8 / grid25 mixtures of VEEGAN and PacGAN."""

import numpy as np
import pytest

from jaxgen.errors import ConfigError, DataError
from jaxgen.eval import high_quality_frac, mode_coverage, modes_captured

RING_ANGLES = np.arange(8) * np.pi / 4
RING_CENTRES = 2.0 * np.stack([np.cos(RING_ANGLES), np.sin(RING_ANGLES)], axis=1)
RING_STD = 0.02
GRID_CENTRES = np.array([(i, j) for i in range(-4, 5, 2) for j in range(-4, 5, 2)], dtype=float)
GRID_STD = 0.05


def mixture_samples(centres, std, num, seed):
  rng = np.random.default_rng(seed)
  return centres[rng.integers(len(centres), size=num)] + std * rng.normal(size=(num, 2))


@pytest.mark.parametrize("centres, std", [(RING_CENTRES, RING_STD), (GRID_CENTRES, GRID_STD)])
def test_true_mixture_captures_every_mode(centres, std):
  samples = mixture_samples(centres, std, 2500, seed=0)
  result = mode_coverage(samples, centres, std)
  assert result["modes_captured"] == len(centres)
  assert result["high_quality_frac"] >= 0.99
  # Independent count: nearest centre by brute force, high quality if distance < 3 std.
  distances = np.linalg.norm(samples[:, None, :] - centres[None], axis=-1)
  inside = distances.min(axis=1) < 3 * std
  np.testing.assert_array_equal(
      result["mode_counts"], np.bincount(distances.argmin(axis=1)[inside], minlength=len(centres)))
  np.testing.assert_allclose(result["high_quality_frac"], inside.mean(), rtol=1e-12)


def test_samples_from_one_mode_capture_one():
  samples = mixture_samples(GRID_CENTRES[7:8], GRID_STD, 2500, seed=1)
  assert modes_captured(samples, GRID_CENTRES, GRID_STD) == 1
  assert mode_coverage(samples, GRID_CENTRES, GRID_STD)["mode_counts"][7] > 2400


def test_far_away_samples_are_never_high_quality():
  samples = mixture_samples(RING_CENTRES, RING_STD, 2500, seed=2) * 1.5
  assert high_quality_frac(samples, RING_CENTRES, RING_STD) == 0.0
  assert modes_captured(samples, RING_CENTRES, RING_STD) == 0


def test_threshold_is_strict_euclidean_distance_in_std_units():
  centres = np.zeros((1, 2))
  samples = np.array([[1.4, 0.0], [0.0, 1.5], [1.6, 0.0]])  # 2.8, 3 and 3.2 std (exact in binary)
  np.testing.assert_allclose(high_quality_frac(samples, centres, std=0.5), 1 / 3)
  np.testing.assert_allclose(high_quality_frac(samples, centres, std=0.5, threshold=3.1), 2 / 3)


def test_bad_inputs():
  with pytest.raises(DataError, match="same feature dimension"):
    mode_coverage(np.zeros((5, 3)), RING_CENTRES, RING_STD)
  with pytest.raises(ConfigError, match="std"):
    mode_coverage(np.zeros((5, 2)), RING_CENTRES, 0.0)
