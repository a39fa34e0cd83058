"""The shared sample metrics: checked against hand counts and the data's own statistics."""

import re

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from jaxgen import data as data_lib
from jaxgen.core import evaluation as samples
from jaxgen.core import progress


def test_class_coverage_summarises_the_histogram():
  predicted = np.array([0] * 5 + [1] * 3 + [2] * 2)  # 3 classes of 4 generated, fractions .5 .3 .2 0
  metrics = samples.class_coverage(predicted, 4)
  assert metrics["num_classes_generated"] == 3
  assert metrics["min_class_frac"] == 0.0 and metrics["max_class_frac"] == 0.5
  np.testing.assert_allclose(metrics["max_class_deviation"], 0.25)


def test_draw_is_chunked_deterministic_and_compiles_once():
  calls = []

  @jax.jit
  def sample_fn(key, n=4):
    return jax.random.normal(key, (n, 2))

  def counted(key, n):
    calls.append(n)
    return sample_fn(key)

  rng = jax.random.PRNGKey(3)
  drawn = samples.draw(counted, rng, 10, 4)
  assert drawn.shape == (10, 2) and calls == [4, 4, 4]
  np.testing.assert_array_equal(drawn[4:8], np.asarray(sample_fn(jax.random.fold_in(rng, 1))))
  assert sample_fn._cache_size() == 1


def test_draw_reports_its_progress_in_status_lines(monkeypatch, capsys):
  """A line after each chunk but the first (its time is the compile's), the last at num."""
  monkeypatch.setattr(progress, "STATUS_SECONDS", 0.0)
  samples.draw(lambda key, n: jnp.zeros((n, 2)), jax.random.PRNGKey(0), 10, 4)
  lines = capsys.readouterr().err.splitlines()
  assert [line.split("] ")[1].split(",")[0] for line in lines] == ["samples 8/10", "samples 10/10"]
  assert all(re.search(r", [\d.e+]+ samples/s, ETA [\d.]+ min$", line) for line in lines)


def test_per_example_keeps_the_real_examples_in_order_with_their_extras():
  """Three batches of 4, the last padded by 2: 10 values in the batches' order, the padding gone,
  each batch's key fold_in(rng, i), the labels carried along, float64 on the host."""
  data = np.arange(12, dtype=np.float32)
  batches = [{"x": jnp.asarray(data[i:i + 4]), "label": jnp.arange(i, i + 4),
              "mask": jnp.asarray([1.0, 1.0, 1.0, 1.0] if i < 8 else [1.0, 1.0, 0.0, 0.0])}
             for i in (0, 4, 8)]
  rng = jax.random.PRNGKey(1)
  keys = []

  def fn(batch, key):
    keys.append(key)
    return {"double": 2 * batch["x"], "noise": jax.random.uniform(key, (4,))}

  values = samples.per_example(fn, batches, rng, extras=("label", "absent"))
  assert sorted(values) == ["double", "label", "noise"]
  np.testing.assert_array_equal(values["double"], 2 * data[:10])
  np.testing.assert_array_equal(values["label"], np.arange(10))
  assert values["double"].dtype == np.float64 and len(values["noise"]) == 10
  for i, key in enumerate(keys):
    np.testing.assert_array_equal(key, jax.random.fold_in(rng, i))
  keys.clear()  # a limit of 6: the first 6 values, and no call after the batch that reaches them
  limited = samples.per_example(fn, batches, rng, extras=("label",), limit=6)
  np.testing.assert_array_equal(limited["double"], 2 * data[:6])
  assert len(limited["noise"]) == 6 and len(keys) == 2
  with pytest.raises(ValueError, match=r"metric 'mean' has shape \(\); expected one row per "
                                       r"example, \[4, ...\]"):
    samples.per_example(lambda batch, key: {"mean": jnp.mean(batch["x"])}, batches, rng)


def test_point_metrics_of_the_mode_centres_and_of_far_points():
  info = data_lib.dataset_info("grid25")
  centres = np.repeat(np.asarray(info.mode_centres, np.float32), 4, axis=0)  # [100, 2]
  exact = samples.point_sample_metrics(centres, "grid25")
  assert exact["modes_captured"] == 25 and exact["high_quality_frac"] == 1.0
  np.testing.assert_allclose(exact["sample_log_prob"],
                             np.mean(info.log_prob(centres.astype(np.float64))))
  far = samples.point_sample_metrics(centres + 1.0, "grid25")  # half-way between modes
  assert far["modes_captured"] == 0 and far["high_quality_frac"] == 0.0
  assert far["mmd2"] > exact["mmd2"]


def test_image_metrics_of_real_test_digits_see_every_class_and_their_labels():
  stream = data_lib.load("digits", "test", 300, shuffle=False, repeat=False)
  batch = next(iter(stream))
  images, labels = batch["image"][batch["mask"] > 0], batch["label"][batch["mask"] > 0]
  metrics = samples.image_sample_metrics(images, "digits", {"fid_extractor": "digits"}, labels)
  assert metrics["num_classes_generated"] == 10
  assert metrics["label_accuracy"] > 0.95  # the shipped classifier's test accuracy is 99.67%
  assert metrics["fid"] < 2.0 and 0.5 < metrics["precision"] <= 1.0


def test_chunk_labels_are_each_chunks_cycle_of_the_classes():
  expected = np.concatenate([np.arange(6) % 4, np.arange(6) % 4, np.arange(3) % 4])
  np.testing.assert_array_equal(samples.chunk_labels(15, 6, 4), expected)


def test_anomaly_metrics_count_the_labels_training_excluded_as_anomalies():
  from sklearn.metrics import roc_auc_score
  rng = np.random.default_rng(0)
  labels = (np.arange(200) % 10).astype(np.float64)
  scores = rng.normal(size=200) + (labels != 3)  # one-class: 3 is normal
  results = {"label": labels}
  one_class = tuple(c for c in range(10) if c != 3)
  auroc = samples.anomaly_metrics(scores, results, one_class)["anomaly_auroc"]
  assert auroc == pytest.approx(roc_auc_score(labels != 3, scores), rel=1e-12)
  held_out = samples.anomaly_metrics(scores, results, (9,))["anomaly_auroc"]
  assert held_out == pytest.approx(roc_auc_score(labels == 9, scores), rel=1e-12)
  codelengths = rng.normal(100.0, 10.0, 200)  # bits; scores are nats
  corrected = samples.anomaly_metrics(scores, results, (9,), codelengths)
  assert corrected["anomaly_auroc"] == held_out
  assert corrected["anomaly_auroc_complexity"] == pytest.approx(
      roc_auc_score(labels == 9, scores / np.log(2) - codelengths), rel=1e-12)
  assert samples.anomaly_metrics(scores, results, ()) == {}
  assert samples.anomaly_metrics(None, results, (9,)) == {}
