"""Rank-based AUROC against scikit-learn."""

import numpy as np
import pytest
from sklearn.metrics import roc_auc_score

from jaxgen.errors import DataError
from jaxgen.eval import anomaly_auroc


def test_matches_sklearn_on_continuous_scores():
  rng = np.random.default_rng(0)
  labels = rng.integers(0, 2, size=500)
  scores = rng.normal(size=500) + 0.8 * labels
  expected = roc_auc_score(labels, scores)
  np.testing.assert_allclose(anomaly_auroc(scores, labels), expected, rtol=1e-6)


def test_matches_sklearn_with_many_ties():
  rng = np.random.default_rng(1)
  labels = rng.integers(0, 2, size=300).astype(bool)
  scores = rng.integers(0, 4, size=300) + labels  # 5 distinct values: ties everywhere
  expected = roc_auc_score(labels, scores)
  np.testing.assert_allclose(anomaly_auroc(scores, labels), expected, rtol=1e-6)


def test_extremes():
  labels = np.array([0, 0, 1, 1])
  assert anomaly_auroc([0.1, 0.2, 0.8, 0.9], labels) == 1.0
  assert anomaly_auroc([0.9, 0.8, 0.2, 0.1], labels) == 0.0
  assert anomaly_auroc([0.5, 0.5, 0.5, 0.5], labels) == 0.5


def test_bad_inputs():
  with pytest.raises(DataError, match="both anomalies"):
    anomaly_auroc([0.1, 0.2], [1, 1])
  with pytest.raises(DataError, match="labels in"):
    anomaly_auroc([0.1, 0.2], [0, 2])
  with pytest.raises(DataError, match="shape"):
    anomaly_auroc([0.1, 0.2, 0.3], [0, 1])
  with pytest.raises(DataError, match="finite"):
    anomaly_auroc([0.1, np.nan], [0, 1])
