"""Feature statistics of a dataset split (computed once, cached) and of samples (streamed), and
FID/KID of samples against a split with the record of how they were made.

Features stream through ``RunningStatistics`` a batch at a time; only KID keeps features, of at
most ``KID_MAX_SAMPLES`` rows per side (KID's kernels are [m, m], so it cannot stream). The rows
it keeps are all of them up to that cap, else a uniform random subset (``kid_rows``); KID then
averages 100 subsets of min(1000, rows kept) per side, as ``jaxgen.eval.kid``.
"""

import os
import re
from typing import Iterable

import numpy as np

from jaxgen.data import load
from jaxgen.errors import DataError
from jaxgen.eval.frechet import RunningStatistics, fid_from_statistics
from jaxgen.eval.kernel import kid

CACHE_ENV = "JAXGEN_CACHE_DIR"
KID_MAX_SAMPLES = 5000


def default_cache_dir() -> str:
  """``$JAXGEN_CACHE_DIR``, else ``~/.cache/jaxgen``."""
  return os.environ.get(CACHE_ENV) or os.path.join(os.path.expanduser("~"), ".cache", "jaxgen")


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


def reference_cache_path(dataset: str, split: str, extractor, cache_dir: str | None = None) -> str:
  """Where ``reference_statistics`` caches a split's statistics: one file per dataset, split,
  extractor name and weights hash, so new weights never meet stale statistics."""
  key = "_".join((dataset, split, extractor.name, extractor.weights_hash))
  # A dataset given as ``package.module:source`` must still make one plain file name.
  file_name = re.sub(r"[^A-Za-z0-9_.-]", "-", key) + ".npz"
  return os.path.join(cache_dir or default_cache_dir(), "reference_statistics", file_name)


def reference_statistics(dataset: str, split: str, extractor, cache_dir: str | None = None,
                         batch_size: int = 256) -> RunningStatistics:
  """Feature statistics of a whole dataset split, cached under ``cache_dir``.

  Images are read with ``jaxgen.data.load(..., scale="0_1", repeat=False)`` without
  dequantization, padding masked out, every process reading the whole split. The cache (see
  ``reference_cache_path``) holds count, mean and covariance (plus KID's feature rows) as plain
  arrays, no pickle; it is written to a temporary file and renamed, so concurrent writers are safe.
  """
  return _reference(dataset, split, extractor, cache_dir, batch_size)[0]


def _reference(dataset, split, extractor, cache_dir, batch_size):
  """-> (RunningStatistics, float32 [min(N, KID_MAX_SAMPLES), D] KID features) of a split."""
  path = reference_cache_path(dataset, split, extractor, cache_dir)
  if os.path.isfile(path):
    with np.load(path, allow_pickle=False) as cached:
      return (RunningStatistics.from_moments(int(cached["count"]), cached["mean"], cached["covariance"]),
              cached["kid_features"])
  stream = load(dataset, split, batch_size, scale="0_1", repeat=False, process_index=0,
                process_count=1)
  if stream.info.kind != "image":
    raise DataError(f"dataset {dataset!r}: expected an image dataset for feature statistics, "
                    f"got {stream.info.kind}")
  statistics, kid_features = stream_statistics(
      (batch["image"][batch["mask"] > 0] for batch in stream), extractor,
      kid_rows(stream.info.num_examples[split]))
  os.makedirs(os.path.dirname(path), exist_ok=True)
  temporary = f"{path}.{os.getpid()}.tmp"
  with open(temporary, "wb") as f:
    np.savez(f, count=statistics.count, mean=statistics.mean, covariance=statistics.covariance,
             kid_features=kid_features)
  os.replace(temporary, path)
  return statistics, kid_features


def fid_against_reference(samples, dataset: str, split: str, extractor,
                          cache_dir: str | None = None, batch_size: int = 256) -> dict:
  """FID and KID of ``samples: [N, H, W, C]`` in [0, 1] against a dataset split.

  Returns a flat dict: ``fid``, ``kid`` and ``kid_std`` (over KID's subsets), and how they were
  made: ``fid_extractor``, ``fid_weights_hash``, ``fid_num_samples`` (N),
  ``fid_reference`` ("dataset/split"), ``fid_reference_num_samples``, ``kid_num_samples`` and
  ``kid_reference_num_samples`` (feature rows KID used per side, at most KID_MAX_SAMPLES).
  """
  statistics, kid_features = stream_statistics(array_batches(samples, batch_size), extractor,
                                               kid_rows(len(samples)))
  reference, reference_kid_features = _reference(dataset, split, extractor, cache_dir, batch_size)
  kid_mean, kid_std = kid(kid_features, reference_kid_features)
  return {
      "fid": fid_from_statistics(statistics, reference),
      "kid": kid_mean,
      "kid_std": kid_std,
      "fid_extractor": extractor.name,
      "fid_weights_hash": extractor.weights_hash,
      "fid_num_samples": statistics.count,
      "fid_reference": f"{dataset}/{split}",
      "fid_reference_num_samples": reference.count,
      "kid_num_samples": len(kid_features),
      "kid_reference_num_samples": len(reference_kid_features),
  }
