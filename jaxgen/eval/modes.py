"""Mode counting on Gaussian-mixture toys (VEEGAN, Srivastava et al. 2017; PacGAN, Lin et al.)."""

import numpy as np

from jaxgen.eval.checks import as_features, check_parameter, check_same_dim


def mode_coverage(samples, centres, std: float, threshold: float = 3.0) -> dict:
  """Modes captured and fraction of high-quality samples, as PacGAN's ``MetricLogger``.

  Each sample is assigned to its nearest mode centre (Euclidean distance). It is high quality when
  ``distance / std < threshold``: "within 3 standard deviations" means a Euclidean distance
  strictly below ``3 std``, as PacGAN's code (``synthetic_data_experiments/PacGAN/pacgan/
  extensions.py``: ``sqrt(sum(d^2 / var)) < dis_thre`` with ``dis_thre = 3``). A mode is captured
  when it is the nearest mode of at least one high-quality sample. The papers use 2,500 samples.

  Args:
    samples: [N, D] generated points (D = 2 for ring8 / grid25).
    centres: [K, D] mode centres.
    std: standard deviation of every (isotropic) mixture component.
    threshold: the radius in units of ``std``.
  Returns:
    ``{"modes_captured": int, "high_quality_frac": float, "mode_counts": [K] int array}``, where
    ``mode_counts[k]`` counts the high-quality samples whose nearest mode is k.
  """
  # Imported here: scipy.spatial costs every jaxgen process ~0.2 s of start-up.
  from scipy.spatial.distance import cdist

  samples = as_features(samples, "samples")
  centres = as_features(centres, "centres")
  check_same_dim(samples, centres, "samples", "centres")
  check_parameter(std, 0.0, "std", exclusive=True)
  check_parameter(threshold, 0.0, "threshold")
  distances = cdist(samples, centres)
  nearest = np.argmin(distances, axis=1)
  high_quality = distances[np.arange(samples.shape[0]), nearest] / std < threshold
  mode_counts = np.bincount(nearest[high_quality], minlength=centres.shape[0])
  return {
      "modes_captured": int(np.count_nonzero(mode_counts)),
      "high_quality_frac": float(np.mean(high_quality)),
      "mode_counts": mode_counts,
  }


def modes_captured(samples, centres, std: float, threshold: float = 3.0) -> int:
  """Number of modes captured; see ``mode_coverage``."""
  return mode_coverage(samples, centres, std, threshold)["modes_captured"]


def high_quality_frac(samples, centres, std: float, threshold: float = 3.0) -> float:
  """Fraction of samples within ``threshold`` std of their nearest mode; see ``mode_coverage``."""
  return mode_coverage(samples, centres, std, threshold)["high_quality_frac"]
