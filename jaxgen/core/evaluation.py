"""Evaluation orchestration: per-example passes, drawing samples, and the sample-quality metrics
every family reports against a dataset split (whose feature statistics are cached here).

Families differ in how they draw samples; what is measured on the samples is the same:

  ``draw``                  a jitted sampler run in fixed-size chunks (one compile), on the host
  ``per_example``           a jitted per-example function over the test split, padding dropped
  ``point_sample_metrics``  2-D toys: mode coverage (PacGAN / VEEGAN's protocol), MMD to the
                            test split, the samples' mean true log-density
  ``image_sample_metrics``  images: FID / KID against the train split, precision / recall, and
                            the classifier's view: class coverage and label accuracy (digits
                            classifier) or the Inception Score (ImageNet classifier)
"""

import math
import os
import re
from typing import Callable, Dict, Iterable, Optional, Sequence

import jax
import numpy as np

from jaxgen import data as data_lib
from jaxgen.core import progress
from jaxgen.core import sharding
from jaxgen.eval.anomaly import anomaly_auroc
from jaxgen.eval.codelength import png_bits
from jaxgen.eval.kernel import mmd2
from jaxgen.eval.manifold import precision_recall
from jaxgen.eval.modes import mode_coverage
from jaxgen.errors import DataError
from jaxgen.eval.features.weights import file_hash
from jaxgen.eval.frechet import (RunningStatistics, fid_from_features, fid_from_statistics,
                                  frechet_distance)
from jaxgen.eval.inception_score import inception_score
from jaxgen.eval.kernel import kid
from jaxgen.eval.reference import array_batches, kid_rows, read_statistics, stream_statistics

CACHE_ENV = "JAXGEN_CACHE_DIR"
# k-NN precision/recall holds [n, n] distance blocks and compares sets of equal size.
PRECISION_RECALL_SAMPLES = 10_000


def draw(sample_fn: Callable[[jax.Array, int], jax.Array], rng: jax.Array, num: int,
         chunk: int) -> np.ndarray:
  """``num`` samples of ``sample_fn(rng, chunk)`` on the host, drawn ``chunk`` at a time with keys
  ``fold_in(rng, i)`` (every call has the same shape, so a jitted sampler compiles once), with
  status lines. A sampler that returns a pytree of [chunk, ...] arrays gives that pytree of
  [num, ...] arrays."""
  status = progress.StatusLines("samples", "samples", num)
  parts = []
  for i in range(math.ceil(num / chunk)):
    parts.append(sharding.to_host(sample_fn(jax.random.fold_in(rng, i), chunk)))
    status.update(min((i + 1) * chunk, num))
  return jax.tree.map(lambda *leaves: np.concatenate([np.asarray(a) for a in leaves])[:num], *parts)


def drawn_image_metrics(samples: np.ndarray, dataset: str, eval_config,
                        value_range: tuple[float, float],
                        num_classes: Optional[int] = None) -> Dict[str, float]:
  """``image_sample_metrics`` of samples in ``value_range`` from the runner's sampler (``draw``,
  ``eval_config.batch_size`` at a time), whose conditioning labels, with ``num_classes``, cycle
  0, ..., K-1 within each call (``chunk_labels``)."""
  labels = chunk_labels(len(samples), eval_config.batch_size, num_classes) if num_classes else None
  low, high = value_range
  images = np.clip((samples - low) / (high - low), 0.0, 1.0)
  return image_sample_metrics(images, dataset, eval_config, labels)


def translation_metrics(results: Dict[str, np.ndarray], names: tuple, dataset: str, eval_config,
                        split: str) -> Dict[str, float]:
  """Paired translation (pix2pix, CycleGAN) scored on the split's pairs: the means of the
  per-example ``results[name]`` for each of ``names`` present, and, in the features of
  ``eval_config.fid_extractor`` ("" skips them), the ``image_sample_metrics`` of
  ``results["translation"]`` (pixels in [0, 1]) against the split's images, with
  ``label_accuracy`` the classifier's agreement with the true images' labels."""
  metrics = {name: float(np.mean(results[name])) for name in names if name in results}
  if eval_config.fid_extractor:
    translations = np.clip(results["translation"], 0.0, 1.0).astype(np.float32)
    labels = results["label"].astype(np.int64) if "label" in results else None
    metrics.update(image_sample_metrics(translations, dataset, eval_config, labels, split=split))
  return metrics


def class_translation_metrics(directions: Dict[str, tuple], dataset: str,
                              eval_config) -> Dict[str, float]:
  """Unpaired translation between classes of ``dataset`` (CycleGAN), each direction
  ``{name: (translations [N, H, W, C], the target class's real images [M, H, W, C], the target
  class)}``, images in [0, 1], scored in the features of ``eval_config.fid_extractor``, a
  classifier of the dataset's classes: per direction d, ``target_accuracy_d``, the fraction of
  its translations classified as the target class, and ``fid_d``, ``kid_d``, ``kid_std_d``
  against the target class's images (``fid_num_samples_d``, ``fid_reference_num_samples_d``);
  once, ``fid_extractor`` and ``fid_weights_hash``."""
  from jaxgen.eval import features  # Imported here: only image configs need it.
  extractor = features.configured_extractor(eval_config.fid_extractor)
  num_classes = data_lib.dataset_info(dataset).num_classes
  if extractor.num_classes != num_classes:
    raise DataError(f"target-class accuracy needs a classifier of {dataset!r}'s {num_classes} "
                    f"classes; eval.fid_extractor {extractor.name!r} has {extractor.num_classes}")
  metrics = {"fid_extractor": extractor.name, "fid_weights_hash": extractor.weights_hash}
  for name, (translations, targets, target_class) in directions.items():
    translations = np.clip(translations, 0.0, 1.0).astype(np.float32)
    targets = np.asarray(targets, np.float32)
    predicted = np.argmax(extractor.class_probabilities(translations), axis=1)
    fake, real = extractor.features(translations), extractor.features(targets)
    kid_mean, kid_std = kid(fake, real)
    metrics.update({f"target_accuracy_{name}": float(np.mean(predicted == target_class)),
                    f"fid_{name}": fid_from_features(fake, real), f"kid_{name}": kid_mean,
                    f"kid_std_{name}": kid_std, f"fid_num_samples_{name}": len(fake),
                    f"fid_reference_num_samples_{name}": len(real)})
  return metrics


def chunk_labels(num: int, chunk: int, num_classes: int) -> np.ndarray:
  """The conditioning labels of ``num`` samples drawn ``chunk`` at a time (``draw``, the runner's
  sampler) by a ``sample`` whose labels cycle 0, 1, ..., K-1 within each call: [num] int."""
  return np.arange(num) % chunk % num_classes


def per_example(fn: Callable[[dict, jax.Array], Dict[str, jax.Array]], batches: Iterable[dict],
                rng: jax.Array, extras: Sequence[str] = (), limit: int = 0,
                status: Optional[progress.StatusLines] = None) -> Dict[str, np.ndarray]:
  """``fn(batch, fold_in(rng, i))``'s per-example values ``{name: [B, ...]}`` over the batches, with
  the batch fields ``extras`` (e.g. ``label``), on the host as float64 arrays [N, ...] of the real
  examples (the padding that ``batch["mask"]`` marks dropped), in the batches' order. ``limit``
  > 0: the first ``limit`` examples only, and no batch after the one that reaches them.
  ``status``: updated with the count of examples done after each batch."""
  columns: Dict[str, list] = {}
  count = 0
  for i, batch in enumerate(batches):
    if limit and count >= limit:
      break
    values = fn(batch, jax.random.fold_in(rng, i))
    for name, value in values.items():
      if value.shape[:1] != batch["mask"].shape:
        raise ValueError(f"per-example metric {name!r} has shape {value.shape}; expected one "
                         f"row per example, [{batch['mask'].shape[0]}, ...]")
    host = sharding.to_host({**values, **{name: batch[name] for name in extras if name in batch},
                             "mask": batch["mask"]})
    keep = np.asarray(host.pop("mask")) > 0
    for name, value in host.items():
      columns.setdefault(name, []).append(np.asarray(value, np.float64)[keep])
    count += int(keep.sum())
    if status is not None:
      status.update(count)
  return {name: np.concatenate(parts)[:limit or None] for name, parts in columns.items()}


def standard_error(values: np.ndarray) -> float:
  """The standard error of the mean of ``values: [N]``, sd (ddof 1) / sqrt(N): for a test mean of
  a random per-example estimate (Hutchinson's divergence, a one-term bound) it holds the
  estimator's noise and the examples' spread together."""
  values = np.asarray(values, np.float64)
  return float(np.std(values, ddof=1) / math.sqrt(len(values)))


def class_coverage(predicted: np.ndarray, num_classes: int) -> Dict[str, float]:
  """The histogram of predicted classes ``predicted: [N]`` int: ``num_classes_generated``
  (classes predicted at least once), ``min_class_frac``, ``max_class_frac`` and
  ``max_class_deviation`` (largest |frac - 1/K|)."""
  fractions = np.bincount(predicted, minlength=num_classes) / len(predicted)
  return {"num_classes_generated": int(np.count_nonzero(fractions)),
          "min_class_frac": float(fractions.min()), "max_class_frac": float(fractions.max()),
          "max_class_deviation": float(np.max(np.abs(fractions - 1.0 / num_classes)))}


def split_examples(dataset: str, split: str, num: int, seed: int = 0,
                   **preprocessing) -> Dict[str, np.ndarray]:
  """The first ``num`` examples of ``split`` in stored order, as ``jaxgen.data.load``'s
  ``preprocessing`` (``scale`` / ``dequantize`` / ``binarize``) makes them, on the host:
  ``{"image" or "point": [min(num, N), ...], "label": [min(num, N)] where there are labels}``."""
  stream = data_lib.load(dataset, split, min(num, 1000), seed, shuffle=False, repeat=False,
                         process_index=0, process_count=1, **preprocessing)
  parts, count = {}, 0
  for batch in stream:
    keep = batch.pop("mask") > 0
    for name, value in batch.items():
      parts.setdefault(name, []).append(value[keep])
    count += int(np.sum(keep))
    if count >= num:
      break
  return {name: np.concatenate(values)[:num] for name, values in parts.items()}


def split_images(dataset: str, split: str, num: int, **preprocessing) -> np.ndarray:
  """The first ``num`` images of ``split`` (``split_examples``): [min(num, N), H, W, C]."""
  return split_examples(dataset, split, num, **preprocessing)["image"]


def point_sample_metrics(samples: np.ndarray, dataset: str,
                         split: str = "test") -> Dict[str, float]:
  """Samples of a 2-D toy, [N, 2]: ``mmd2`` (Gaussian kernels of bandwidths 1-16) to as many
  points of ``split``; on Gaussian mixtures ``modes_captured``, ``num_modes`` and ``high_quality_frac``
  (within 3 std of the nearest mode, PacGAN / VEEGAN); with a known density ``sample_log_prob``,
  the samples' mean true log-density."""
  info = data_lib.dataset_info(dataset)
  num = len(samples)
  held_out = next(iter(data_lib.load(dataset, split, num, shuffle=False, repeat=False,
                                     process_index=0, process_count=1)))
  metrics = {"num_samples": num,
             "mmd2": mmd2(samples, held_out[info.key][held_out["mask"] > 0])}
  if info.mode_centres is not None:
    coverage = mode_coverage(samples, info.mode_centres, info.mode_std)
    metrics.update(modes_captured=coverage["modes_captured"], num_modes=len(info.mode_centres),
                   high_quality_frac=coverage["high_quality_frac"])
  if info.log_prob is not None:
    metrics["sample_log_prob"] = float(np.mean(info.log_prob(samples.astype(np.float64))))
  return metrics


def image_sample_metrics(images: np.ndarray, dataset: str, eval_config,
                         labels: Optional[np.ndarray] = None,
                         split: str = "train") -> Dict[str, float]:
  """Metrics of samples ``images: [N, H, W, C]`` in [0, 1] in the features that ``eval_config``
  (a config's ``eval``) names against ``split`` of ``dataset``: ``fid``, ``kid``, ``kid_std``,
  ``fid_num_samples`` (see ``fid_against_reference``; ``fid_reference_stats`` puts a statistics
  file in the split's place); ``precision`` / ``recall`` (k = 3, as many real images as samples,
  at most ``PRECISION_RECALL_SAMPLES``). ``fid_extractor``, ``fid_weights_hash`` and
  ``fid_resize`` name the features that every one of these metrics is computed in.

  ``eval_config`` fields: ``fid_extractor`` (a name, ``jaxgen.eval.features``), ``fid_weights``
  (its .npz; "": its environment variable), ``fid_resize`` (the FID Inception's resize mode),
  ``fid_reference_stats`` (a ``mu``/``sigma`` .npz; "": the split's statistics).

  When the extractor classifies the dataset's own classes (the digits classifier on digits):
  ``class_coverage`` of the predicted classes and, given the conditioning ``labels: [N]``,
  ``label_accuracy``, the classifier's agreement with them. Otherwise (an ImageNet classifier)
  ``inception_score`` / ``inception_score_std`` (10 splits).
  """
  from jaxgen.eval import features  # Imported here: only image configs need it.
  name = eval_config["fid_extractor"]
  extractor = features.configured_extractor(
      name, eval_config.get("fid_weights"),
      eval_config.get("fid_resize") if name == "inception" else None)
  metrics = fid_against_reference(images, dataset, split, extractor,
                                  reference_stats=eval_config.get("fid_reference_stats"))
  real = split_images(dataset, split, min(len(images), PRECISION_RECALL_SAMPLES))
  metrics.update(precision_recall(extractor.features(real), extractor.features(images[:len(real)])))
  probabilities = extractor.class_probabilities(images)
  predicted = np.argmax(probabilities, axis=1)
  if extractor.num_classes == data_lib.dataset_info(dataset).num_classes:
    metrics.update(class_coverage(predicted, extractor.num_classes))
    if labels is not None:
      metrics["label_accuracy"] = float(np.mean(predicted == np.asarray(labels)))
  else:
    metrics["inception_score"], metrics["inception_score_std"] = inception_score(probabilities)
  return metrics


def anomaly_metrics(scores: Optional[np.ndarray], results: Dict[str, np.ndarray],
                    exclude_labels: Sequence[int],
                    codelengths: Optional[np.ndarray] = None) -> Dict[str, float]:
  """The anomaly protocol: ``anomaly_auroc`` of per-example ``scores: [N]`` (higher: more
  anomalous) over a split whose ``results["label"]: [N]`` in ``exclude_labels`` (the labels
  training never saw) are the anomalies: one held-out class (train on 0-8, the 9s anomalous) or,
  with every label but one excluded, the one-class protocol (``jaxgen one-class``). {} when
  training excluded nothing or the family has no score.

  Given ``codelengths: [N]``, a lossless codec's bits for each example, and ``scores`` that are
  negative log-likelihoods in nats, also ``anomaly_auroc_complexity``: the AUROC of
  ``scores / ln 2 - codelengths`` (Serra et al. 2020), which discounts how compressible an
  image is on its own.
  """
  if scores is None or not exclude_labels or "label" not in results:
    return {}
  is_anomaly = np.isin(results["label"], np.asarray(exclude_labels, np.float64))
  metrics = {"anomaly_auroc": float(anomaly_auroc(scores, is_anomaly))}
  if codelengths is not None:
    corrected = np.asarray(scores) / math.log(2) - np.asarray(codelengths)
    metrics["anomaly_auroc_complexity"] = float(anomaly_auroc(corrected, is_anomaly))
  return metrics


def split_png_bits(dataset: str, split: str) -> np.ndarray:
  """[N] PNG codelengths in bits of ``split``'s images in stored order (the order of the
  runner's pass), their levels written as 8-bit grey or RGB (``eval.codelength``)."""
  info = data_lib.dataset_info(dataset)
  images = split_images(dataset, split, info.num_examples[split], scale="0_1")
  levels = np.rint(images * (info.num_levels - 1)) * (255 / (info.num_levels - 1))
  return png_bits(np.rint(levels).astype(np.uint8))


def default_cache_dir() -> str:
  """``$JAXGEN_CACHE_DIR``, else ``~/.cache/jaxgen``."""
  return os.environ.get(CACHE_ENV) or os.path.join(os.path.expanduser("~"), ".cache", "jaxgen")


def reference_cache_path(dataset: str, split: str, extractor, cache_dir: str | None = None) -> str:
  """Where ``reference_statistics`` caches a split's statistics: one file per dataset, split and
  its size, extractor name and weights hash, so new weights or a re-carved split never meet
  stale statistics."""
  size = data_lib.dataset_info(dataset).num_examples[split]
  key = "_".join((dataset, f"{split}{size}", extractor.name, extractor.weights_hash))
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
  stream = data_lib.load(dataset, split, batch_size, scale="0_1", repeat=False, process_index=0,
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
                          cache_dir: str | None = None, batch_size: int = 256,
                          reference_stats: str | None = None) -> dict:
  """FID and KID of ``samples: [N, H, W, C]`` in [0, 1] against a dataset split, or FID alone
  against the moments of ``reference_stats`` (pytorch-fid's / TTUR's ``mu``, ``sigma`` .npz,
  e.g. published CIFAR-10 train statistics; KID needs features, which such a file lacks).

  Returns a flat dict: ``fid``, ``kid`` and ``kid_std`` (over KID's subsets), and how they were
  made: ``fid_extractor``, ``fid_weights_hash``, ``fid_resize`` (an extractor that resizes),
  ``fid_num_samples`` (N), ``fid_reference`` ("dataset/split", or the file and its hash),
  ``fid_reference_num_samples`` (a split's), ``kid_num_samples`` and
  ``kid_reference_num_samples`` (feature rows KID used per side, at most KID_MAX_SAMPLES).
  """
  described = extractor.describe()
  made = {"fid_extractor": extractor.name, "fid_weights_hash": extractor.weights_hash,
          **({"fid_resize": described["resize"]} if "resize" in described else {})}
  if reference_stats:
    moments = read_statistics(reference_stats)
    if moments is None:
      raise DataError(f"eval.fid_reference_stats={reference_stats!r}: expected a .npz with "
                      f"arrays mu and sigma (pytorch-fid's format)")
    if len(moments[0]) != extractor.feature_dim:  # before the samples' features are computed
      raise DataError(f"{reference_stats!r}: expected statistics of {extractor.feature_dim} "
                      f"{extractor.name} features, got {len(moments[0])}")
    statistics, _ = stream_statistics(array_batches(samples, batch_size), extractor)
    return {"fid": frechet_distance(statistics.mean, statistics.covariance, *moments),
            **made, "fid_num_samples": statistics.count,
            "fid_reference": f"{reference_stats} (sha256 {file_hash(reference_stats)})"}
  statistics, kid_features = stream_statistics(array_batches(samples, batch_size), extractor,
                                               kid_rows(len(samples)))
  reference, reference_kid_features = _reference(dataset, split, extractor, cache_dir, batch_size)
  kid_mean, kid_std = kid(kid_features, reference_kid_features)
  return {
      "fid": fid_from_statistics(statistics, reference),
      "kid": kid_mean,
      "kid_std": kid_std,
      **made,
      "fid_num_samples": statistics.count,
      "fid_reference": f"{dataset}/{split}",
      "fid_reference_num_samples": reference.count,
      "kid_num_samples": len(kid_features),
      "kid_reference_num_samples": len(reference_kid_features),
  }
