"""Reference statistics (cached per dataset, split, extractor and weights) and streamed sample
statistics, against all-at-once numpy moments; FID/KID against a split with its record."""

import os

import numpy as np
import pytest

from jaxgen.data import load
from jaxgen.errors import DataError
from jaxgen.eval import fid_from_features, kid
from jaxgen.eval.features import get_extractor
from jaxgen.core.evaluation import (CACHE_ENV, default_cache_dir, fid_against_reference,
                                    reference_cache_path, reference_statistics)
from jaxgen.eval.reference import array_batches, kid_rows, sample_statistics, stream_statistics


class PixelExtractor:
  """Features = the pixels times ``scale``: a stand-in whose weights_hash can be anything."""
  name = "pixels"
  feature_dim = 64
  num_classes = None

  def __init__(self, weights_hash="0123456789abcdef", scale=1.0):
    self.weights_hash = weights_hash
    self.scale = scale
    self.calls = 0

  def features(self, images):
    self.calls += 1
    return np.asarray(images, np.float32).reshape(len(images), -1) * np.float32(self.scale)

  def describe(self):
    return {"extractor": self.name, "weights_hash": self.weights_hash}


@pytest.fixture(scope="module")
def extractor():
  return get_extractor("digits")


@pytest.fixture(scope="module")
def test_images():
  batches = list(load("digits", "test", 128, scale="0_1", repeat=False))
  return np.concatenate([batch["image"][batch["mask"] > 0] for batch in batches])


def assert_moments_equal(statistics, features):
  features = np.asarray(features, np.float64)
  covariance = np.cov(features, rowvar=False)
  assert statistics.count == len(features)
  np.testing.assert_allclose(statistics.mean, features.mean(axis=0), rtol=1e-6,
                             atol=1e-6 * np.abs(features.mean(axis=0)).max())
  np.testing.assert_allclose(statistics.covariance, covariance, rtol=1e-6,
                             atol=1e-6 * np.abs(covariance).max())


def test_sample_statistics_stream_to_the_all_at_once_moments(extractor):
  images = np.random.default_rng(0).random((1000, 8, 8, 1), dtype=np.float32)
  statistics = sample_statistics(images, extractor, batch_size=96)  # 10 full batches + 40.
  assert_moments_equal(statistics, extractor.features(images))


def test_stream_statistics_keeps_the_requested_rows_across_batches():
  images = np.random.default_rng(1).random((50, 8, 8, 1), dtype=np.float32)
  keep = kid_rows(50, max_samples=17, seed=3)
  assert len(np.unique(keep)) == 17 and np.all(np.diff(keep) > 0)
  _, kept = stream_statistics(array_batches(images, 8), PixelExtractor(), keep)
  np.testing.assert_array_equal(kept, images.reshape(50, -1)[keep])
  np.testing.assert_array_equal(kid_rows(12, max_samples=17), np.arange(12))


def test_cached_reference_statistics_equal_recomputed(tmp_path, extractor, test_images):
  computed = reference_statistics("digits", "test", extractor, cache_dir=str(tmp_path))
  path = reference_cache_path("digits", "test", extractor, cache_dir=str(tmp_path))
  assert os.path.isfile(path)
  assert_moments_equal(computed, extractor.features(test_images))
  counting = PixelExtractor()
  pixels = reference_statistics("digits", "test", counting, cache_dir=str(tmp_path))
  calls = counting.calls
  cached = reference_statistics("digits", "test", counting, cache_dir=str(tmp_path))
  assert counting.calls == calls  # Read back, not recomputed.
  assert cached.count == pixels.count == 300
  np.testing.assert_allclose(cached.mean, pixels.mean, rtol=1e-12)
  np.testing.assert_allclose(cached.covariance, pixels.covariance, rtol=1e-12, atol=1e-15)


def test_cache_key_includes_the_weights_hash(tmp_path, test_images):
  old, new = PixelExtractor("aaaaaaaaaaaaaaaa"), PixelExtractor("bbbbbbbbbbbbbbbb", scale=2.0)
  old_path = reference_cache_path("digits", "test", old, str(tmp_path))
  new_path = reference_cache_path("digits", "test", new, str(tmp_path))
  assert old_path != new_path
  assert all(part in os.path.basename(new_path)
             for part in ("digits", "test", "pixels", "bbbbbbbbbbbbbbbb"))
  reference_statistics("digits", "test", old, cache_dir=str(tmp_path))
  statistics = reference_statistics("digits", "test", new, cache_dir=str(tmp_path))
  # New weights never meet the old weights' statistics.
  np.testing.assert_allclose(statistics.mean, 2.0 * test_images.reshape(300, -1).mean(axis=0),
                             rtol=1e-6)


def test_default_cache_dir(monkeypatch, tmp_path):
  monkeypatch.setenv(CACHE_ENV, str(tmp_path / "cache"))
  assert default_cache_dir() == str(tmp_path / "cache")
  assert reference_cache_path("digits", "train", PixelExtractor()).startswith(
      str(tmp_path / "cache"))
  monkeypatch.delenv(CACHE_ENV)
  monkeypatch.setenv("HOME", str(tmp_path))
  assert default_cache_dir() == os.path.join(str(tmp_path), ".cache", "jaxgen")


def test_fid_against_reference_matches_features_and_records_how(tmp_path, extractor,
                                                                 test_images):
  samples = test_images[::-1][:200]
  result = fid_against_reference(samples, "digits", "test", extractor, cache_dir=str(tmp_path))
  sample_features, reference_features = extractor.features(samples), extractor.features(test_images)
  np.testing.assert_allclose(result["fid"], fid_from_features(sample_features, reference_features),
                             rtol=1e-6)
  expected_kid = kid(sample_features, reference_features)
  np.testing.assert_allclose((result["kid"], result["kid_std"]), expected_kid, rtol=1e-6)
  assert {key: result[key] for key in result if key not in ("fid", "kid", "kid_std")} == {
      "fid_extractor": "digits", "fid_weights_hash": extractor.weights_hash,
      "fid_num_samples": 200, "fid_reference": "digits/test", "fid_reference_num_samples": 300,
      "kid_num_samples": 200, "kid_reference_num_samples": 300}
  same = fid_against_reference(test_images, "digits", "test", extractor, cache_dir=str(tmp_path))
  assert abs(same["fid"]) < 1e-6
  # The same split's moments as a pytorch-fid statistics file: the same FID, no KID.
  stats = tmp_path / "digits_test_stats.npz"
  np.savez(stats, mu=reference_features.mean(0), sigma=np.cov(reference_features, rowvar=False))
  from_file = fid_against_reference(samples, "digits", "test", extractor,
                                    reference_stats=str(stats))
  np.testing.assert_allclose(from_file["fid"], result["fid"], rtol=1e-6)
  assert "kid" not in from_file and from_file["fid_reference"].startswith(f"{stats} (sha256 ")
  np.savez(stats, mu=np.zeros(3), sigma=np.eye(3))
  with pytest.raises(DataError, match="expected statistics of 64 digits features, got 3"):
    fid_against_reference(samples, "digits", "test", extractor, reference_stats=str(stats))
  np.savez(stats, samples=samples)
  with pytest.raises(DataError, match="expected a .npz with arrays mu and sigma"):
    fid_against_reference(samples, "digits", "test", extractor, reference_stats=str(stats))


def test_reference_of_a_point_dataset_is_a_data_error(tmp_path):
  with pytest.raises(DataError, match="expected an image dataset"):
    reference_statistics("ring8", "train", PixelExtractor(), cache_dir=str(tmp_path))
