"""Inception Score (Salimans et al. 2016) from classifier probabilities."""

import numpy as np

from jaxgen.eval.checks import as_probabilities, check_num_samples, check_parameter


def inception_score(probs, splits: int = 10, shuffle: bool = True, seed: int = 0):
  """Inception Score: ``exp(mean_i KL(p(y | x_i) || p(y)))`` per split; mean and std over splits.

  As openai/improved-gan: split ``i`` holds rows ``[i N // splits, (i + 1) N // splits)`` and
  ``p(y)`` is the mean of ``p(y | x)`` over that split; the std is numpy's (ddof=0).
  ``shuffle=True`` first permutes the rows with ``np.random.RandomState(seed).permutation(N)``, as
  torch-fidelity ``metric_isc.py`` does (improved-gan does not shuffle). KL is computed in float64
  with ``0 log 0 = 0``, so one-hot predictions are fine: K classes predicted equally often, one-hot,
  in every split give exactly K.

  Args:
    probs: [N, K] class probabilities (softmax outputs, not logits); N >= splits.
  Returns:
    ``(mean, std)`` as Python floats.
  """
  # Imported here: scipy.special costs every jaxgen process ~0.3 s of start-up.
  from scipy.special import rel_entr

  probs = as_probabilities(probs, "probs")
  check_parameter(splits, 1, "splits")
  check_num_samples(probs, splits, "probs", f"one per split, splits={splits}")
  num_samples = probs.shape[0]
  if shuffle:
    probs = probs[np.random.RandomState(seed).permutation(num_samples)]
  scores = []
  for split in range(splits):
    part = probs[split * num_samples // splits:(split + 1) * num_samples // splits]
    marginal = part.mean(axis=0, keepdims=True)
    scores.append(np.exp(rel_entr(part, marginal).sum(axis=1).mean()))
  return float(np.mean(scores)), float(np.std(scores))
