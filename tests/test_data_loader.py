"""The grain streams: preprocessing, determinism, resuming, epochs, evaluation passes,
multi-process sharding and errors, checked against what the contract says they must be."""

import itertools
import json
import sys
import textwrap

import numpy as np
import pytest

from jaxgen import data
from jaxgen.errors import ConfigError, DataError, UnknownNameError


def take(stream, num):
  return list(itertools.islice(stream, num))


def first(stream):
  return next(iter(stream))


def assert_batches_equal(actual, expected):
  assert len(actual) == len(expected)
  for a, e in zip(actual, expected):
    assert a.keys() == e.keys()
    for key in e:
      np.testing.assert_array_equal(a[key], e[key], err_msg=key)


def digits_train(**options):
  """The train split in stored order as one [1347, 8, 8, 1] batch."""
  return first(data.load("digits", "train", 1347, repeat=False, **options))


def test_batch_structure_and_dtypes():
  assert set(data.dataset_names()) >= {
      "digits", "binarized_digits", "ring8", "grid25", "moons", "checkerboard", "spirals",
      "mnist", "binarized_mnist", "fashion_mnist", "cifar10", "celeb_a", "svhn_cropped"}
  batch = first(data.load("digits", "train", 32))
  assert set(batch) == {"image", "label"}
  assert batch["image"].shape == (32, 8, 8, 1) and batch["image"].dtype == np.float32
  assert batch["label"].shape == (32,) and batch["label"].dtype == np.int32
  batch = first(data.load("moons", "test", 16, repeat=False))
  assert set(batch) == {"point", "mask"} and batch["point"].dtype == np.float32
  assert batch["mask"].dtype == np.float32
  stream = data.load("ring8", "train", 8)
  assert stream.info is data.dataset_info("ring8") and stream.num_batches is None
  assert data.load("binarized_digits", "test", 100, repeat=False).num_batches == 3


def test_levels_scale_and_dequantization():
  plain = digits_train()["image"]
  levels = plain * 16
  np.testing.assert_array_equal(levels, np.round(levels))
  assert levels.min() == 0 and levels.max() == 16
  np.testing.assert_array_equal(digits_train(scale="-1_1")["image"], 2 * plain - 1)
  # Glow: x = (level + u) / 17 with u ~ U[0, 1), so u = 17 x - level.
  dequantized = digits_train(dequantize=True)["image"]
  u = dequantized.astype(np.float64) * 17 - levels
  assert u.min() >= -1e-5 and u.max() <= 1 + 1e-5
  assert u.mean() == pytest.approx(0.5, abs=0.005)
  assert np.mean(u < 0.25) == pytest.approx(0.25, abs=0.01)
  assert np.corrcoef(u[:-1].ravel(), u[1:].ravel())[0, 1] == pytest.approx(0, abs=0.02)
  epoch0, epoch1 = take(data.load("digits", "train", 1347, shuffle=False, dequantize=True), 2)
  assert np.mean(epoch0["image"] == epoch1["image"]) < 1e-3  # Fresh noise every epoch.
  u = epoch1["image"].astype(np.float64) * 17 - levels  # The same bins, other noise.
  assert u.min() >= -1e-5 and u.max() <= 1 + 1e-5
  signed = digits_train(dequantize=True, scale="-1_1")["image"]
  np.testing.assert_allclose(signed, 2 * dequantized - 1, atol=1e-6)
  assert signed.min() >= -1 and signed.max() <= 1


def test_binarization():
  levels = digits_train()["image"] * 16
  fixed = digits_train(binarize="fixed")["image"]
  np.testing.assert_array_equal(fixed, levels >= 8)
  np.testing.assert_array_equal(fixed, first(data.load("binarized_digits", "train", 1347,
                                                       repeat=False))["image"])
  stream = data.load("digits", "train", 1347, shuffle=False, binarize="dynamic")
  assert stream.info.num_levels == 2 and data.dataset_info("digits").num_levels == 17
  first_epoch, second = take(stream, 2)  # The same examples in two epochs: fresh draws.
  np.testing.assert_array_equal(first_epoch["label"], second["label"])
  assert set(np.unique(first_epoch["image"])) == {0.0, 1.0}
  assert 0.05 < np.mean(first_epoch["image"] != second["image"]) < 0.5
  np.testing.assert_array_equal(first_epoch["image"][levels == 0], 0)
  np.testing.assert_array_equal(first_epoch["image"][levels == 16], 1)
  draws = np.concatenate([first_epoch["image"], second["image"]])
  both = np.concatenate([levels, levels])
  for level in range(1, 16):  # Bernoulli(level / 16), within 5 standard errors.
    hits = draws[both == level]
    p = level / 16
    assert abs(hits.mean() - p) < 5 * np.sqrt(p * (1 - p) / hits.size) + 1e-3, level
  assert np.array_equal(digits_train(scale="-1_1", binarize="fixed")["image"], 2 * fixed - 1)


@pytest.mark.parametrize("options", [{}, {"dequantize": True}, {"binarize": "dynamic"}])
def test_same_seed_same_stream_other_seed_other_stream(options):
  first = take(data.load("digits", "train", 64, seed=3, **options), 30)
  assert_batches_equal(take(data.load("digits", "train", 64, seed=3, **options), 30), first)
  other = take(data.load("digits", "train", 64, seed=4, **options), 1)[0]
  assert not np.array_equal(other["label"], first[0]["label"])


@pytest.mark.parametrize("name, split, options", [
    ("digits", "train", {"dequantize": True}),
    ("digits", "train", {"binarize": "dynamic", "scale": "-1_1"}),
    ("ring8", "test", {}),
    ("digits", "test", {"repeat": False, "dequantize": True}),
])
def test_resume_continues_the_stream(name, split, options):
  # 23 batches of 64 (train) or 2 of 3000 (ring8 test) are followed by an epoch boundary; the
  # eval pass ends.
  batch_size = 3000 if name == "ring8" else 64
  uninterrupted = iter(data.load(name, split, batch_size, seed=5, **options))
  head = take(uninterrupted, 20 if name == "digits" and split == "train" else 2)
  state = json.loads(json.dumps(uninterrupted.get_state()))
  tail = take(uninterrupted, 10)
  resumed = iter(data.load(name, split, batch_size, seed=5, **options))
  resumed.set_state(state)
  assert_batches_equal(take(resumed, 10), tail)
  assert_batches_equal(take(data.load(name, split, batch_size, seed=5, **options), len(head)),
                       head)


def point_ids(points):
  """Row index of each point in ring8's test split (points are distinct floats)."""
  stored = first(data.load("ring8", "test", 10_000, repeat=False))["point"]
  index = {row.tobytes(): i for i, row in enumerate(stored)}
  return np.array([index[row.tobytes()] for row in points])


def test_epochs_are_reshuffled_permutations_that_batches_straddle():
  # 10,000 examples in batches of 3,000: batch 3 holds the last 1,000 of epoch 0 and the
  # first 2,000 of epoch 1.
  batches = take(data.load("ring8", "test", 3000, seed=11), 10)
  ids = point_ids(np.concatenate([b["point"] for b in batches])).reshape(3, 10_000)
  for epoch_ids in ids:
    np.testing.assert_array_equal(np.sort(epoch_ids), np.arange(10_000))
  assert len({tuple(e) for e in ids}) == 3
  assert np.mean(ids[0] == np.arange(10_000)) < 0.01
  other_seed = take(data.load("ring8", "test", 3000, seed=12), 4)
  other = point_ids(np.concatenate([b["point"] for b in other_seed]))[:10_000]
  # Epochs of neighbouring seeds are not shifted copies of each other (grain reseeds s + e).
  assert not any(np.array_equal(other, e) for e in ids)
  in_order = take(data.load("ring8", "test", 3000, shuffle=False), 4)
  np.testing.assert_array_equal(point_ids(in_order[3]["point"]),
                                np.r_[np.arange(9000, 10_000), np.arange(2000)])


@pytest.mark.parametrize("shuffle", [None, True])
def test_eval_pass_covers_every_example_once(shuffle):
  stream = data.load("ring8", "test", 3000, seed=2, repeat=False, shuffle=shuffle)
  iterator = iter(stream)
  batches = list(iterator)
  assert len(batches) == stream.num_batches == 4
  assert all(b["point"].shape == (3000, 2) for b in batches)
  masks = np.concatenate([b["mask"] for b in batches])
  np.testing.assert_array_equal(masks, np.arange(12_000) < 10_000)
  ids = point_ids(np.concatenate([b["point"] for b in batches]))
  assert sorted(ids[:10_000]) == list(range(10_000))
  assert (ids[:10_000] == np.arange(10_000)).all() == (shuffle is None)
  assert next(iterator, None) is None


@pytest.mark.parametrize("name, split, batch_size, options", [
    ("digits", "train", 64, {"dequantize": True}),
    ("digits", "train", 64, {"binarize": "dynamic"}),
    ("ring8", "test", 3000, {}),
    ("digits", "test", 128, {"repeat": False, "dequantize": True}),
    ("ring8", "test", 3000, {"repeat": False, "shuffle": True}),
])
@pytest.mark.parametrize("process_count", [2, 4])
def test_processes_split_the_single_process_batch(name, split, batch_size, options,
                                                  process_count):
  single = take(data.load(name, split, batch_size, seed=9, process_index=0, process_count=1,
                          **options), 25)
  local = [take(data.load(name, split, batch_size, seed=9, process_index=p,
                          process_count=process_count, **options), 25)
           for p in range(process_count)]
  for p in range(process_count):
    assert next(iter(local[p][0].values())).shape[0] == batch_size // process_count
  joined = [{key: np.concatenate([parts[key] for parts in batch]) for key in batch[0]}
            for batch in zip(*local)]
  assert_batches_equal(joined, single)


def test_exclude_labels():
  labels = first(data.load("digits", "train", 1347, repeat=False))["label"]
  kept = np.sum(~np.isin(labels, [0, 3]))
  passes = list(data.load("digits", "train", 200, repeat=False, exclude_labels=(0, 3)))
  pass_labels = np.concatenate([b["label"][b["mask"] == 1] for b in passes])
  assert len(pass_labels) == kept and not np.isin(pass_labels, [0, 3]).any()
  np.testing.assert_array_equal(np.bincount(pass_labels, minlength=10),
                                np.bincount(labels[~np.isin(labels, [0, 3])], minlength=10))
  stream = take(data.load("digits", "train", 100, exclude_labels=[9]), 40)
  assert not np.isin(np.concatenate([b["label"] for b in stream]), [9]).any()


def test_errors_say_what_was_expected():
  with pytest.raises(UnknownNameError, match="valid: .*digits.*ring8"):
    data.load("mnits", "train", 8)
  with pytest.raises(UnknownNameError, match="valid: .*digits"):
    data.dataset_info("mnits")
  with pytest.raises(UnknownNameError, match="valid: train, validation, test"):
    data.load("digits", "valid", 8)
  with pytest.raises(ConfigError, match="multiple of process_count 3"):
    data.load("digits", "train", 10, process_index=0, process_count=3)
  with pytest.raises(ConfigError, match="process_index"):
    data.load("digits", "train", 10, process_index=2, process_count=2)
  with pytest.raises(ConfigError, match="scale must be one of 0_1, -1_1"):
    data.load("digits", "train", 8, scale="0_255")
  with pytest.raises(ConfigError, match="binarize must be"):
    data.load("digits", "train", 8, binarize="random")
  with pytest.raises(ConfigError, match="exclude each other"):
    data.load("digits", "train", 8, dequantize=True, binarize="fixed")
  with pytest.raises(ConfigError, match="apply to images"):
    data.load("ring8", "train", 8, scale="-1_1")
  with pytest.raises(ConfigError, match="labelled dataset"):
    data.load("moons", "train", 8, exclude_labels=[0])
  with pytest.raises(ConfigError, match="exclude_labels must be in 0..9"):
    data.load("digits", "train", 8, exclude_labels=[10])
  with pytest.raises(ConfigError, match="exceeds the 300 examples"):
    data.load("digits", "test", 512)
  with pytest.raises(ConfigError, match="seed"):
    data.load("digits", "test", 8, seed=-1)


@pytest.mark.parametrize("base, examples, labels, message", [
    ("digits", "np.zeros((4, 8, 8, 1), np.float32)", "np.zeros(4, np.int32)",
     "expected uint8 examples, got float32"),
    ("digits", "np.zeros((4, 8, 8), np.uint8)", "np.zeros(4, np.int32)",
     r"expected examples of shape \[N, 8, 8, 1\], got \[4, 8, 8\]"),
    ("digits", "np.full((4, 8, 8, 1), 17, np.uint8)", "np.zeros(4, np.int32)",
     "expected levels 0..16, got a maximum of 17"),
    ("digits", "np.zeros((4, 8, 8, 1), np.uint8)", "np.full(4, 10)",
     "expected labels in 0..9, got 10..10"),
    ("moons", "np.array([[0, 1], [np.nan, 0]], np.float32)", "None",
     "expected finite points, got NaN or Inf"),
])
def test_bad_source_data_is_a_data_error_naming_the_dataset(tmp_path, monkeypatch, base,
                                                            examples, labels, message):
  # A user's source, given as a dotted path, goes through the same checks as built-in ones.
  (tmp_path / "user_source.py").write_text(textwrap.dedent(f"""
      import dataclasses
      import numpy as np
      from jaxgen.data import dataset_info
      from jaxgen.data.sources import ArrayRecords, Source
      INFO = dataclasses.replace(dataset_info("{base}"), name="user_data")
      SOURCE = Source(describe=lambda: INFO,
                      read=lambda split, data_dir: ArrayRecords({examples}, {labels}))
  """))
  monkeypatch.syspath_prepend(str(tmp_path))
  monkeypatch.delitem(sys.modules, "user_source", raising=False)  # The previous case's.
  with pytest.raises(DataError, match=f"dataset 'user_data' split 'train': {message}"):
    data.load("user_source:SOURCE", "train", 2)


def test_noise_is_keyed_by_example_and_epoch_not_by_batch():
  """Element t of the stream is the same whatever the batch size: (seed, epoch, index) keys
  its shuffle position and its noise."""
  for options in ({"dequantize": True}, {"binarize": "dynamic"}, {"random_flip": True}):
    by_64 = np.concatenate([b["image"] for b in take(data.load("digits", "train", 64, seed=1,
                                                                **options), 42)])
    by_96 = np.concatenate([b["image"] for b in take(data.load("digits", "train", 96, seed=1,
                                                                **options), 28)])
    np.testing.assert_array_equal(by_64, by_96)


def test_random_flip_mirrors_half_the_training_images():
  plain = take(data.load("digits", "train", 1347, shuffle=False), 2)
  flipped = take(data.load("digits", "train", 1347, shuffle=False, random_flip=True), 2)
  for p, f in zip(plain, flipped):
    mirrored = np.all(f["image"] == p["image"][:, :, ::-1], axis=(1, 2, 3))
    kept = np.all(f["image"] == p["image"], axis=(1, 2, 3))
    assert np.all(mirrored | kept)
    changed = mirrored & ~kept  # Symmetric digits look the same either way.
    assert 0.4 < np.mean(mirrored) and np.mean(changed) < 0.6
  # A new epoch draws again.
  assert not np.array_equal(flipped[0]["image"] == plain[0]["image"],
                            flipped[1]["image"] == plain[1]["image"])


def test_validation_is_carved_from_the_end_of_training():
  stored_train = first(data.load("digits", "train", 1347, repeat=False))
  validation = first(data.load("digits", "validation", 150, repeat=False))
  test = first(data.load("digits", "test", 300, repeat=False))
  assert data.dataset_info("digits").num_examples == {"train": 1347, "validation": 150,
                                                      "test": 300}
  whole = np.concatenate([stored_train["image"], validation["image"], test["image"]])
  assert len(np.unique(whole.reshape(len(whole), -1), axis=0)) > 1700  # Disjoint splits.
  from sklearn.datasets import load_digits
  digits = load_digits()
  order = np.random.default_rng(0).permutation(1797)
  np.testing.assert_array_equal(validation["image"][..., 0] * 16, digits.images[order[1347:1497]])
  toy = data.dataset_info("ring8").num_examples
  assert toy == {"train": 100_000, "validation": 10_000, "test": 10_000}
  val_points = first(data.load("ring8", "validation", 10_000, repeat=False))["point"]
  test_points = first(data.load("ring8", "test", 10_000, repeat=False))["point"]
  assert not {row.tobytes() for row in val_points} & {row.tobytes() for row in test_points}
