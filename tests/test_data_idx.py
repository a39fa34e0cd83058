"""MNIST / Fashion-MNIST from IDX files: the reader on files written here, the search order,
the one-line errors, and the real Fashion-MNIST files of Debian's ``dataset-fashion-mnist``
(installed by ``.ci/run``)."""

import gzip
import os

import numpy as np
import pytest

from jaxgen import data
from jaxgen.data import idx
from jaxgen.errors import DataError

FASHION_DIR = idx.SYSTEM_DIRS["fashion_mnist"]


def write_idx(path, array, magic, compress=True):
  header = np.asarray([magic, *array.shape], ">u4").tobytes()
  with (gzip.open if compress else open)(path, "wb") as f:
    f.write(header + np.ascontiguousarray(array, np.uint8).tobytes())


def write_dataset(folder, num_train=6, num_test=4, compress=True):
  """A tiny MNIST-format dataset: image k is filled with level k, label k % 10."""
  os.makedirs(folder, exist_ok=True)
  for split, num in (("train", num_train), ("test", num_test)):
    images = np.repeat(np.arange(num, dtype=np.uint8), 28 * 28).reshape(num, 28, 28)
    images_stem, labels_stem = idx.FILES[split]
    suffix = ".gz" if compress else ""
    write_idx(os.path.join(folder, images_stem + suffix), images, 0x803, compress)
    write_idx(os.path.join(folder, labels_stem + suffix), np.arange(num) % 10, 0x801, compress)


@pytest.mark.parametrize("compress", [True, False])
def test_reads_the_files_it_wrote(tmp_path, compress):
  write_dataset(tmp_path / "f", compress=compress)
  images, labels = idx.read(str(tmp_path / "f"), "train")
  assert images.shape == (6, 28, 28, 1) and images.dtype == np.uint8
  np.testing.assert_array_equal(images[:, 3, 5, 0], np.arange(6))
  np.testing.assert_array_equal(labels, np.arange(6) % 10)
  assert labels.dtype == np.int32 and not images.flags.writeable


def test_data_dir_comes_first_then_the_environment(tmp_path, monkeypatch):
  write_dataset(tmp_path / "given")
  write_dataset(tmp_path / "env" / "mnist", num_test=3)
  monkeypatch.setenv(idx.DATA_DIR_ENV, str(tmp_path / "env"))
  assert idx.find("mnist", str(tmp_path / "given")) == str(tmp_path / "given")
  assert idx.find("mnist", None) == str(tmp_path / "env" / "mnist")
  assert idx.find("mnist", str(tmp_path / "empty")) == str(tmp_path / "env" / "mnist")
  batch = next(iter(data.load("mnist", "test", 3, repeat=False)))  # Through the loader.
  np.testing.assert_array_equal(batch["image"][:, 0, 0, 0] * 255, np.arange(3))


@pytest.mark.parametrize("damage, message", [
    (lambda raw: raw[:-10], "bytes, expected 4720 for an IDX array of shape \\[6, 28, 28\\]"),
    (lambda raw: b"\x00\x00\x08\x01" + raw[4:], "magic number 0x00000801, expected 0x00000803"),
    (lambda raw: raw[:7], "shorter than an IDX header"),
])
def test_a_wrong_or_truncated_file_is_a_data_error(tmp_path, damage, message):
  write_dataset(tmp_path, compress=False)
  path = tmp_path / "train-images-idx3-ubyte"
  path.write_bytes(damage(path.read_bytes()))
  idx.read.cache_clear()
  with pytest.raises(DataError, match=message):
    idx.read(str(tmp_path), "train")


def test_a_cut_gzip_stream_is_a_data_error(tmp_path):
  write_dataset(tmp_path)
  path = tmp_path / "train-images-idx3-ubyte.gz"
  raw = path.read_bytes()
  path.write_bytes(raw[:len(raw) // 2])
  idx.read.cache_clear()
  with pytest.raises(DataError, match="cannot be read as an IDX file"):
    idx.read(str(tmp_path), "train")


def test_a_missing_dataset_names_every_place_and_the_ways_to_get_it(tmp_path, monkeypatch):
  from jaxgen.data import tfds_sources

  def no_tfds():  # TFDS's own "not prepared" is test_tfds_sources'; TensorFlow is slow to import
    raise ImportError("No module named 'tensorflow_datasets'")

  monkeypatch.setattr(tfds_sources, "_tfds", no_tfds)
  monkeypatch.setenv(idx.DATA_DIR_ENV, str(tmp_path / "env"))
  monkeypatch.setenv("TFDS_DATA_DIR", str(tmp_path / "tfds"))
  monkeypatch.setitem(idx.SYSTEM_DIRS, "fashion_mnist", str(tmp_path / "system"))
  with pytest.raises(DataError) as error:
    data.load("fashion_mnist", "train", 8, data_dir=str(tmp_path / "given"))
  message = str(error.value)
  assert "\n" not in message
  for expected in (str(tmp_path / "given"), str(tmp_path / "env" / "fashion_mnist"),
                   str(tmp_path / "system"), "apt-get install dataset-fashion-mnist",
                   "tfds build fashion_mnist", "pip install 'jaxgen[tfds]'"):
    assert expected in message


@pytest.mark.skipif(not os.path.isdir(FASHION_DIR), reason="needs `apt-get install "
                    "dataset-fashion-mnist` (.ci/run installs it)")
def test_real_fashion_mnist_counts_and_classes():
  for split, num in (("train", 60_000), ("test", 10_000)):
    images, labels = idx.read(FASHION_DIR, split)
    assert images.shape == (num, 28, 28, 1)
    np.testing.assert_array_equal(np.bincount(labels, minlength=10), np.full(10, num // 10))
  info = data.dataset_info("fashion_mnist")
  assert info.num_examples == {"train": 55_000, "validation": 5_000, "test": 10_000}
  validation = next(iter(data.load("fashion_mnist", "validation", 5000, repeat=False)))
  images, _ = idx.read(FASHION_DIR, "train")
  np.testing.assert_array_equal(validation["image"] * 255, images[55_000:])
