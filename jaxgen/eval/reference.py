"""Feature statistics of batches of images, streamed (pure: the dataset splits' cached statistics
are ``jaxgen.core.evaluation``'s).

Features stream through ``RunningStatistics`` a batch at a time; only KID keeps features, of at
most ``KID_MAX_SAMPLES`` rows per side (KID's kernels are [m, m], so it cannot stream). The rows
it keeps are all of them up to that cap, else a uniform random subset (``kid_rows``); KID then
averages 100 subsets of min(1000, rows kept) per side, as ``jaxgen.eval.kid``.

``read_statistics`` reads moments stored by other tools: pytorch-fid's and TTUR's ``.npz`` with
``mu`` and ``sigma`` (published reference statistics, e.g. CIFAR-10 train's).
"""

import os
import zipfile
from typing import Iterable

import numpy as np

from jaxgen.errors import DataError
from jaxgen.eval.frechet import RunningStatistics

KID_MAX_SAMPLES = 5000


def kid_rows(num_samples: int, max_samples: int = KID_MAX_SAMPLES, seed: int = 0) -> np.ndarray:
  """Sorted indices of the rows whose features KID uses: every row when ``num_samples`` <=
  ``max_samples``, else ``max_samples`` drawn without replacement by
  ``np.random.default_rng(seed)``."""
  if num_samples <= max_samples:
    return np.arange(num_samples)
  return np.sort(np.random.default_rng(seed).choice(num_samples, max_samples, replace=False))


def stream_statistics(batches: Iterable[np.ndarray], extractor,
                      keep_rows: np.ndarray | None = None):
  """Folds the features of each batch of images into a ``RunningStatistics``.

  Args:
    batches: images [b, H, W, C] in [0, 1], batch after batch (b may vary).
    extractor: a feature extractor (``jaxgen.eval.features``).
    keep_rows: sorted row indices, counted over all batches, whose features to return.
  Returns:
    ``(statistics, kept)``: kept is float32 [len(keep_rows), D], or None without keep_rows.
  """
  statistics = RunningStatistics()
  kept = []
  offset = 0
  for images in batches:
    features = extractor.features(images)
    statistics.update(features)
    if keep_rows is not None:
      in_batch = keep_rows[(keep_rows >= offset) & (keep_rows < offset + len(features))]
      kept.append(features[in_batch - offset])
    offset += len(features)
  if statistics.count == 0:
    raise DataError("expected at least one image to compute features of, got none")
  return statistics, None if keep_rows is None else np.concatenate(kept)


def array_batches(images, batch_size: int) -> Iterable:
  """Consecutive slices ``images[i:i + batch_size]`` (of an array or a memory map), lazily."""
  return (images[start:start + batch_size] for start in range(0, len(images), batch_size))


def sample_statistics(images, extractor, batch_size: int = 256) -> RunningStatistics:
  """Feature statistics of ``images: [N, H, W, C]`` in [0, 1], ``batch_size`` images at a time."""
  return stream_statistics(array_batches(images, batch_size), extractor)[0]


def read_statistics(path: str) -> tuple[np.ndarray, np.ndarray] | None:
  """(mu [D], sigma [D, D]) float64 of a statistics .npz; None for any other input."""
  if not (path.endswith(".npz") and os.path.isfile(path)):
    return None
  try:
    with np.load(path, allow_pickle=False) as stored:
      if not {"mu", "sigma"} <= set(stored.files):
        return None
      mu, sigma = stored["mu"].astype(np.float64), stored["sigma"].astype(np.float64)
  except (OSError, ValueError, zipfile.BadZipFile) as e:
    raise DataError(f"{path!r}: expected a .npz of plain arrays ({e})") from e
  if mu.ndim != 1 or sigma.shape != (len(mu), len(mu)):
    raise DataError(f"{path!r}: expected mu [D] and sigma [D, D], got {list(mu.shape)} and "
                    f"{list(sigma.shape)}")
  return mu, sigma
