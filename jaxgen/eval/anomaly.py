"""Anomaly-detection AUROC from per-example anomaly scores."""

from jaxgen.errors import DataError
from jaxgen.eval.checks import as_binary_labels, as_vector


def anomaly_auroc(scores, labels) -> float:
  """Exact area under the ROC curve; higher score = more anomalous, label 1 = anomaly.

  Rank form of the Mann-Whitney U statistic: with ``R`` the sum of the ranks of the P anomalies
  among all N scores (ties get their average rank, ``scipy.stats.rankdata``),
  ``AUROC = (R - P (P + 1) / 2) / (P (N - P))``: the probability that a random anomaly scores
  above a random normal example, ties counting one half. Equals
  ``sklearn.metrics.roc_auc_score(labels, scores)``.

  Args:
    scores: [N] anomaly scores.
    labels: [N] in {0, 1} (or booleans); both classes present.
  """
  scores = as_vector(scores, "scores")
  anomalous = as_binary_labels(labels, "labels", scores.shape[0])
  num_anomalies = int(anomalous.sum())
  num_normal = scores.shape[0] - num_anomalies
  if num_anomalies == 0 or num_normal == 0:
    raise DataError(f"labels: expected both anomalies (1) and normal examples (0), got "
                    f"{num_anomalies} and {num_normal}")
  # Imported here: scipy.stats costs every jaxgen process ~1 s of start-up (it pulls in
  # scipy.optimize, .interpolate, ...), and only this metric needs it.
  from scipy.stats import rankdata
  rank_sum = rankdata(scores)[anomalous].sum()
  return float((rank_sum - num_anomalies * (num_anomalies + 1) / 2) / (num_anomalies * num_normal))
