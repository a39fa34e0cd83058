"""The sample-quality metrics every family reports, in one place.

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
from typing import Callable, Dict, Iterable, Optional, Sequence

import jax
import numpy as np

from jaxgen import data as data_lib
from jaxgen.core import sharding
from jaxgen.eval.kernel import mmd2
from jaxgen.eval.manifold import precision_recall
from jaxgen.eval.modes import mode_coverage
from jaxgen.eval.inception_score import inception_score

# k-NN precision/recall holds [n, n] distance blocks and compares sets of equal size.
PRECISION_RECALL_SAMPLES = 10_000


def draw(sample_fn: Callable[[jax.Array, int], jax.Array], rng: jax.Array, num: int,
         chunk: int) -> np.ndarray:
  """``num`` samples of ``sample_fn(rng, chunk)`` on the host, drawn ``chunk`` at a time with keys
  ``fold_in(rng, i)`` (every call has the same shape, so a jitted sampler compiles once)."""
  parts = [np.asarray(sharding.to_host(sample_fn(jax.random.fold_in(rng, i), chunk)))
           for i in range(math.ceil(num / chunk))]
  return np.concatenate(parts)[:num]


def per_example(fn: Callable[[dict, jax.Array], Dict[str, jax.Array]], batches: Iterable[dict],
                rng: jax.Array, extras: Sequence[str] = ()) -> Dict[str, np.ndarray]:
  """``fn(batch, fold_in(rng, i))``'s per-example values ``{name: [B, ...]}`` over the batches, with
  the batch fields ``extras`` (e.g. ``label``), on the host as float64 arrays [N, ...] of the real
  examples (the padding that ``batch["mask"]`` marks dropped), in the batches' order."""
  columns: Dict[str, list] = {}
  for i, batch in enumerate(batches):
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
  return {name: np.concatenate(parts) for name, parts in columns.items()}


def class_coverage(predicted: np.ndarray, num_classes: int) -> Dict[str, float]:
  """The histogram of predicted classes ``predicted: [N]`` int: ``num_classes_generated``
  (classes predicted at least once), ``min_class_frac``, ``max_class_frac`` and
  ``max_class_deviation`` (largest |frac - 1/K|)."""
  fractions = np.bincount(predicted, minlength=num_classes) / len(predicted)
  return {"num_classes_generated": int(np.count_nonzero(fractions)),
          "min_class_frac": float(fractions.min()), "max_class_frac": float(fractions.max()),
          "max_class_deviation": float(np.max(np.abs(fractions - 1.0 / num_classes)))}


def split_images(dataset: str, split: str, num: int, **preprocessing) -> np.ndarray:
  """The first ``num`` images of ``split`` in stored order, in [0, 1] (or as ``preprocessing``,
  ``jaxgen.data.load``'s ``scale`` / ``binarize``, makes them): [min(num, N), H, W, C]."""
  stream = data_lib.load(dataset, split, min(num, 1000), shuffle=False, repeat=False,
                         process_index=0, process_count=1, **preprocessing)
  parts, count = [], 0
  for batch in stream:
    parts.append(batch["image"][batch["mask"] > 0])
    count += len(parts[-1])
    if count >= num:
      break
  return np.concatenate(parts)[:num]


def point_sample_metrics(samples: np.ndarray, dataset: str) -> Dict[str, float]:
  """Samples of a 2-D toy, [N, 2]: ``mmd2`` (Gaussian kernels of bandwidths 1-16) to as many test
  points; on Gaussian mixtures ``modes_captured``, ``num_modes`` and ``high_quality_frac``
  (within 3 std of the nearest mode, PacGAN / VEEGAN); with a known density ``sample_log_prob``,
  the samples' mean true log-density."""
  info = data_lib.dataset_info(dataset)
  num = len(samples)
  test = next(iter(data_lib.load(dataset, "test", num, shuffle=False, repeat=False,
                                 process_index=0, process_count=1)))
  metrics = {"num_samples": num, "mmd2": mmd2(samples, test[info.key][test["mask"] > 0])}
  if info.mode_centres is not None:
    coverage = mode_coverage(samples, info.mode_centres, info.mode_std)
    metrics.update(modes_captured=coverage["modes_captured"], num_modes=len(info.mode_centres),
                   high_quality_frac=coverage["high_quality_frac"])
  if info.log_prob is not None:
    metrics["sample_log_prob"] = float(np.mean(info.log_prob(samples.astype(np.float64))))
  return metrics


def image_sample_metrics(images: np.ndarray, dataset: str, extractor_name: str,
                         labels: Optional[np.ndarray] = None,
                         split: str = "train") -> Dict[str, float]:
  """Metrics of samples ``images: [N, H, W, C]`` in [0, 1] in the features of ``extractor_name``
  against ``split`` of ``dataset``: ``fid``, ``kid``, ``kid_std``, ``fid_num_samples``;
  ``precision`` / ``recall`` (k = 3, as many real images as samples, at most
  ``PRECISION_RECALL_SAMPLES``).

  When the extractor classifies the dataset's own classes (the digits classifier on digits):
  ``class_coverage`` of the predicted classes and, given the conditioning ``labels: [N]``,
  ``label_accuracy``, the classifier's agreement with them. Otherwise (an ImageNet classifier)
  ``inception_score`` / ``inception_score_std`` (10 splits).
  """
  from jaxgen.eval import features, reference  # Imported here: only image configs need them.
  extractor = features.get_extractor(extractor_name)
  scores = reference.fid_against_reference(images, dataset, split, extractor)
  # eval.json holds numbers; the extractor's name and weights hash stay in the config.
  metrics = {name: value for name, value in scores.items() if not isinstance(value, str)}
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
