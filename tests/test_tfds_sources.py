"""TFDS datasets through ``load``, on ``tfds.testing.mock_data`` (no network, no download)."""

import itertools
import subprocess
import sys

import numpy as np
import pytest
from PIL import Image

from jaxgen import data
from jaxgen.errors import DataError

tfds = pytest.importorskip("tensorflow_datasets")


def stored_split(name, split):
  """The split as TFDS's random-access source gives it, record by record."""
  source = tfds.data_source(name, split=split, download=False)
  examples = [source[i] for i in range(len(source))]
  return {key: np.stack([e[key] for e in examples]) for key in ("image", "label")
          if examples[0].get(key) is not None}


def test_importing_jaxgen_data_does_not_import_tensorflow():
  code = ("import sys, jaxgen.data; "
          "print(sorted({'tensorflow', 'tensorflow_datasets'} & set(sys.modules)))")
  result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True)
  assert result.stdout.strip() == "[]"


def test_infos():
  mnist, cifar = data.dataset_info("mnist"), data.dataset_info("cifar10")
  assert (mnist.shape, mnist.num_levels, mnist.num_classes) == ((28, 28, 1), 256, 10)
  assert (cifar.shape, cifar.num_levels, cifar.num_classes) == ((32, 32, 3), 256, 10)
  assert mnist.num_examples == {"train": 55_000, "validation": 5_000, "test": 10_000}
  binarized = data.dataset_info("binarized_mnist")
  assert (binarized.num_levels, binarized.num_classes) == (2, None)
  assert data.dataset_info("celeb_a").shape == (64, 64, 3)


@pytest.mark.parametrize("name, shape", [("mnist", (28, 28, 1)), ("cifar10", (32, 32, 3))])
def test_mock_tfds_through_load(name, shape):
  with tfds.testing.mock_data(num_examples=40):
    stored = stored_split(name, "train")
    eval_pass = list(data.load(name, "test", 16, repeat=False))
    stored_test = stored_split(name, "test")
    carved = [list(data.load(name, split, 40, repeat=False))[0] for split in ("train", "validation")]
    first = list(itertools.islice(data.load(name, "train", 16, seed=4, dequantize=True), 5))
    again = list(itertools.islice(data.load(name, "train", 16, seed=4, dequantize=True), 5))
    signed = next(iter(data.load(name, "train", 16, scale="-1_1")))
    parts = [list(itertools.islice(data.load(name, "train", 16, seed=4, dequantize=True,
                                             process_index=p, process_count=2), 5))
             for p in range(2)]
  # The evaluation pass is the TFDS split in its stored order, scaled by 1/255.
  assert len(eval_pass) == 3 and eval_pass[-1]["mask"].sum() == 40 - 32
  images = np.concatenate([b["image"] for b in eval_pass])[:40]
  assert images.shape == (40, *shape) and images.dtype == np.float32
  np.testing.assert_array_equal(images * 255, stored_test["image"])
  labels = np.concatenate([b["label"] for b in eval_pass])[:40]
  assert labels.dtype == np.int32
  np.testing.assert_array_equal(labels, stored_test["label"])
  # Validation is the end of TFDS's train split (its last tenth here: mock data has 40).
  train, validation = (batch["image"][batch["mask"] > 0] * 255 for batch in carved)
  np.testing.assert_array_equal(np.concatenate([train, validation]), stored["image"])
  assert len(validation) == 4
  for a, b in zip(first, again):  # 36 training examples, batches of 16: across epochs.
    np.testing.assert_array_equal(a["image"], b["image"])
    np.testing.assert_array_equal(a["label"], b["label"])
  for batch in first:
    assert batch["image"].shape == (16, *shape)
    assert batch["image"].min() >= 0 and batch["image"].max() <= 1
  u = np.concatenate([b["image"] for b in first]).astype(np.float64) * 256 % 1
  assert u.mean() == pytest.approx(0.5, abs=0.02)
  assert signed["image"].min() >= -1 and signed["image"].max() <= 1
  assert signed["image"].min() < -0.9 and signed["image"].max() > 0.9
  for p0, p1, whole in zip(*parts, first):
    np.testing.assert_array_equal(np.concatenate([p0["image"], p1["image"]]), whole["image"])


def test_celeb_a_is_cropped_and_resized():
  with tfds.testing.mock_data(num_examples=3):
    stored = stored_split("celeb_a", "test")["image"]
    batch = next(iter(data.load("celeb_a", "test", 3, repeat=False)))
  assert set(batch) == {"image", "mask"} and batch["image"].shape == (3, 64, 64, 3)
  # Pillow's bilinear downscaling is the same antialiased triangle filter: equal to a level.
  expected = np.stack([np.asarray(Image.fromarray(image[39:179, 19:159]).resize(
      (64, 64), Image.BILINEAR)) for image in stored])
  np.testing.assert_allclose(batch["image"] * 255, expected, atol=1 + 1e-4)


def test_missing_dataset_says_how_to_get_it(tmp_path):
  with pytest.raises(DataError, match="tfds build mnist.*TFDS_DATA_DIR"):
    data.load("mnist", "train", 8, data_dir=str(tmp_path))


def test_exclude_labels_on_records_read_on_demand():
  with tfds.testing.mock_data(num_examples=40):
    labels = stored_split("cifar10", "test")["label"]
    batches = list(data.load("cifar10", "test", 16, repeat=False, exclude_labels=(0, 1)))
  kept = np.concatenate([b["label"][b["mask"] > 0] for b in batches])
  np.testing.assert_array_equal(kept, labels[~np.isin(labels, (0, 1))])
