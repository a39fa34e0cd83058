"""Image datasets from files: IDX files on this machine for MNIST and Fashion-MNIST, else TFDS.

TFDS datasets are read record by record through ``tfds.data_source`` (ArrayRecord files), so no
split has to fit in memory. Nothing is downloaded: a TFDS dataset must already be prepared
(``tfds build NAME --file_format=array_record``) under ``data_dir`` / $TFDS_DATA_DIR.
TensorFlow and TFDS are imported only when such a dataset is read, with TensorFlow hidden from
accelerators first: JAX owns them. Datasets without a validation split of their own give the
last ``CARVED_VALIDATION`` training examples to it.
"""

import functools
import os
import warnings

import numpy as np
from PIL import Image

from jaxgen.data import idx
from jaxgen.data.sources import (DATASETS, ArrayRecords, DatasetInfo, RecordSubset, Source,
                                 carve_validation)
from jaxgen.errors import DataError

# CelebA's 218x178 faces: the central 140x140 crop (rows 39:179, columns 19:159), resized to
# 64x64 with antialiased bilinear filtering, the usual "CelebA 64x64" of VAE/GAN papers.
CELEB_A_CROP = (39, 19, 140)
CARVED_VALIDATION = 5_000


def _image_info(name: str, shape: tuple, num_levels: int, num_classes: int | None,
                num_examples: dict, class_names: tuple | None = None) -> DatasetInfo:
  if "validation" not in num_examples:
    num_examples = {"train": num_examples["train"] - CARVED_VALIDATION,
                    "validation": CARVED_VALIDATION, "test": num_examples["test"]}
  return DatasetInfo(name=name, kind="image", key="image", shape=shape, num_levels=num_levels,
                     num_classes=num_classes, num_examples=num_examples, class_names=class_names)


FASHION_MNIST_CLASSES = ("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt",
                         "Sneaker", "Bag", "Ankle boot")
CIFAR10_CLASSES = ("airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship",
                   "truck")


TFDS_DATASETS = {
    info.name: info for info in [
        _image_info("mnist", (28, 28, 1), 256, 10, {"train": 60_000, "test": 10_000}),
        _image_info("binarized_mnist", (28, 28, 1), 2, None,
                    {"train": 50_000, "validation": 10_000, "test": 10_000}),
        _image_info("fashion_mnist", (28, 28, 1), 256, 10, {"train": 60_000, "test": 10_000},
                    FASHION_MNIST_CLASSES),
        _image_info("cifar10", (32, 32, 3), 256, 10, {"train": 50_000, "test": 10_000},
                    CIFAR10_CLASSES),
        _image_info("celeb_a", (64, 64, 3), 256, None,
                    {"train": 162_770, "validation": 19_867, "test": 19_962}),
        _image_info("svhn_cropped", (32, 32, 3), 256, 10, {"train": 73_257, "test": 26_032}),
    ]
}
CARVES_VALIDATION = {"mnist", "fashion_mnist", "cifar10", "svhn_cropped"}


@functools.cache
def _tfds():
  """Imports TFDS, with TensorFlow kept off every GPU."""
  import tensorflow as tf
  try:
    tf.config.set_visible_devices([], "GPU")
  except RuntimeError:  # The caller initialised TF first; only it can still hide the GPUs.
    warnings.warn("TensorFlow was initialised before jaxgen could hide the GPUs from it; "
                  "call tf.config.set_visible_devices([], 'GPU') before using it")
  import tensorflow_datasets as tfds
  return tfds


def celeb_a_64(image: np.ndarray) -> np.ndarray:
  """image: uint8 [218, 178, 3] -> uint8 [64, 64, 3] (see CELEB_A_CROP); Pillow's bilinear
  downscaling is an antialiased triangle filter, as ``tf.image.resize(antialias=True)``."""
  top, left, size = CELEB_A_CROP
  crop = Image.fromarray(np.asarray(image)[top:top + size, left:left + size])
  return np.asarray(crop.resize((64, 64), Image.BILINEAR))


class TfdsRecords:
  """One TFDS split as records, read on demand from its ArrayRecord files."""

  def __init__(self, info: DatasetInfo, data_source):
    self.info, self.data_source = info, data_source

  def __len__(self) -> int:
    return len(self.data_source)

  def __getitem__(self, index: int) -> dict:
    stored = self.data_source[index]
    image = stored["image"]
    record = {"example": celeb_a_64(image) if self.info.name == "celeb_a" else image}
    if self.info.num_classes is not None:
      record["label"] = int(stored["label"])
    return record


def _how_to_get(info: DatasetInfo, data_dir: str | None, reason: str) -> DataError:
  looked = ""
  if info.name in idx.DATASETS:
    looked = (f"no IDX files in {', '.join(idx.search_dirs(info.name, data_dir)) or '(none given)'}"
              f" (set data.dir or ${idx.DATA_DIR_ENV}/{info.name}/"
              + (", or `apt-get install dataset-fashion-mnist`" if info.name == "fashion_mnist"
                 else "") + "); ")
  return DataError(
      f"dataset {info.name!r} not found: {looked}TFDS: {reason}. On a machine with network run "
      f"`tfds build {info.name} --file_format=array_record --data_dir=DIR`, copy DIR here and "
      "set TFDS_DATA_DIR=DIR (or data.dir=DIR)")


def _tfds_records(info: DatasetInfo, split: str, data_dir: str | None) -> TfdsRecords:
  try:
    tfds = _tfds()
  except ImportError as e:
    raise _how_to_get(info, data_dir, f"not installed ({e}; `pip install 'jaxgen[tfds]'`)") from e
  builder = tfds.builder(info.name, data_dir=data_dir or os.environ.get("TFDS_DATA_DIR"))
  try:
    source = builder.as_data_source(split=split)
  except (AssertionError, NotImplementedError) as e:  # Data never prepared, or as TFRecord.
    reason = ("prepared as TFRecord, which has no random access" if builder.is_prepared()
              else f"not prepared in {builder.data_dir}")
    raise _how_to_get(info, data_dir, reason) from e
  return TfdsRecords(info, source)


def read(info: DatasetInfo, split: str, data_dir: str | None):
  """The records of ``split``: IDX files where found (mnist, fashion_mnist), else TFDS."""
  stored_split = "train" if info.name in CARVES_VALIDATION and split == "validation" else split
  folder = idx.find(info.name, data_dir) if info.name in idx.DATASETS else None
  if folder:
    records = ArrayRecords(*idx.read(folder, stored_split))
  else:
    records = _tfds_records(info, stored_split, data_dir)
  if info.name not in CARVES_VALIDATION or split == "test":
    return records
  indices = np.arange(*carve_validation(len(records), CARVED_VALIDATION, split))
  if isinstance(records, ArrayRecords):
    return records.subset(indices)
  return RecordSubset(records, indices)


for _name, _info in TFDS_DATASETS.items():
  DATASETS.register(_name)(Source(describe=lambda info=_info: info,
                                  read=functools.partial(read, _info)))
