"""Inception Score against the explicit improved-gan formula."""

import numpy as np
import pytest

from jaxgen.errors import ConfigError, DataError
from jaxgen.eval import inception_score


def numpy_inception_score(probs, splits):
  n = len(probs)
  scores = []
  for i in range(splits):
    part = probs[i * n // splits:(i + 1) * n // splits]
    marginal = part.mean(axis=0, keepdims=True)
    scores.append(np.exp(np.mean(np.sum(part * (np.log(part) - np.log(marginal)), axis=1))))
  return np.mean(scores), np.std(scores)


def test_matches_numpy_without_shuffle_on_uneven_splits():
  probs = np.random.default_rng(0).dirichlet(np.full(7, 0.3), size=103)
  mean, std = inception_score(probs, splits=4, shuffle=False)
  expected_mean, expected_std = numpy_inception_score(probs, 4)
  np.testing.assert_allclose(mean, expected_mean, rtol=1e-6)
  np.testing.assert_allclose(std, expected_std, rtol=1e-6)


def test_shuffle_is_torch_fidelity_permutation():
  probs = np.random.default_rng(1).dirichlet(np.full(5, 0.5), size=60)
  permuted = probs[np.random.RandomState(11).permutation(60)]
  np.testing.assert_allclose(inception_score(probs, splits=3, seed=11),
                             numpy_inception_score(permuted, 3), rtol=1e-6)


def test_uniform_one_hot_predictions_give_num_classes():
  num_classes = 10
  probs = np.tile(np.eye(num_classes), (30, 1))  # every split of 30 rows holds each class 3 times.
  mean, std = inception_score(probs, splits=10, shuffle=False)
  np.testing.assert_allclose(mean, num_classes, rtol=1e-12)
  assert std < 1e-12


def test_bad_inputs():
  rng = np.random.default_rng(2)
  logits = rng.normal(size=(20, 4))
  with pytest.raises(DataError, match="logits"):
    inception_score(logits, splits=2)
  with pytest.raises(DataError, match="summing to 1"):
    inception_score(np.abs(logits), splits=2)
  probs = rng.dirichlet(np.ones(4), size=20)
  probs[0, 0] = np.nan
  with pytest.raises(DataError, match="finite"):
    inception_score(probs, splits=2)
  with pytest.raises(DataError, match="at least 10 samples"):
    inception_score(rng.dirichlet(np.ones(4), size=5), splits=10)
  with pytest.raises(ConfigError, match="splits"):
    inception_score(rng.dirichlet(np.ones(4), size=5), splits=0)
