"""Named TFDS datasets, read once per ``load`` into memory as uint8 levels.

The split then goes through the same stream machinery as the embedded datasets, so
determinism, multi-process sharding and resuming are identical. TensorFlow is imported only
when one of these datasets is read, and is hidden from accelerators first: JAX owns them.
Nothing is downloaded: a dataset must already be prepared under ``data_dir`` /
$TFDS_DATA_DIR (TFDS's default directory otherwise).
"""

import functools
import os
import warnings

import numpy as np

from jaxgen.data.pipeline import DATASETS, DatasetInfo, Source
from jaxgen.errors import DataError

# CelebA's 218x178 faces: the central 140x140 crop (rows 39:179, columns 19:159), resized
# to 64x64 with antialiased bilinear filtering, the usual "CelebA 64x64" of VAE/GAN papers.
CELEB_A_CROP = (39, 19, 140)
_READ_BATCH = 1024


def _image_info(name: str, shape: tuple, num_levels: int, num_classes: int | None,
                num_examples: dict) -> DatasetInfo:
  return DatasetInfo(name=name, kind="image", key="image", shape=shape, num_levels=num_levels,
                     num_classes=num_classes, num_examples=num_examples)


TFDS_DATASETS = {
    info.name: info for info in [
        _image_info("mnist", (28, 28, 1), 256, 10, {"train": 60_000, "test": 10_000}),
        _image_info("binarized_mnist", (28, 28, 1), 2, None,
                    {"train": 50_000, "validation": 10_000, "test": 10_000}),
        _image_info("fashion_mnist", (28, 28, 1), 256, 10, {"train": 60_000, "test": 10_000}),
        _image_info("cifar10", (32, 32, 3), 256, 10, {"train": 50_000, "test": 10_000}),
        _image_info("celeb_a", (64, 64, 3), 256, None,
                    {"train": 162_770, "validation": 19_867, "test": 19_962}),
        _image_info("svhn_cropped", (32, 32, 3), 256, 10,
                    {"train": 73_257, "test": 26_032, "extra": 531_131}),
    ]
}


@functools.cache
def _tensorflow():
  """Imports TensorFlow and TFDS, with TensorFlow kept off every GPU."""
  import tensorflow as tf
  try:
    tf.config.set_visible_devices([], "GPU")
  except RuntimeError:  # The caller initialised TF first; only it can still hide the GPUs.
    warnings.warn("TensorFlow was initialised before jaxgen could hide the GPUs from it; "
                  "call tf.config.set_visible_devices([], 'GPU') before using it")
  import tensorflow_datasets as tfds
  return tf, tfds


def _celeb_a_64(image):
  """image: uint8 [218, 178, 3] -> uint8 [64, 64, 3] (see CELEB_A_CROP)."""
  tf, _ = _tensorflow()
  top, left, size = CELEB_A_CROP
  resized = tf.image.resize(image[top:top + size, left:left + size], (64, 64),
                            method="bilinear", antialias=True)
  return tf.cast(tf.clip_by_value(tf.round(resized), 0, 255), tf.uint8)


def read(info: DatasetInfo, split: str,
         data_dir: str | None) -> tuple[np.ndarray, np.ndarray | None]:
  """-> images uint8 [N, *info.shape], labels int32 [N] or None, in the files' stored order."""
  tf, tfds = _tensorflow()
  builder = tfds.builder(info.name, data_dir=data_dir or os.environ.get("TFDS_DATA_DIR"))
  try:
    dataset = builder.as_dataset(split=split, shuffle_files=False)
  except AssertionError as e:  # What TFDS raises for a dataset that was never prepared.
    raise DataError(
        f"TFDS dataset {info.name!r} is not prepared ({e}). On a machine with network run "
        f"`tfds build {info.name} --data_dir=DIR`, copy DIR here and set TFDS_DATA_DIR=DIR "
        "(or pass data_dir=DIR)") from e
  labelled = info.num_classes is not None

  def select(example):
    image = _celeb_a_64(example["image"]) if info.name == "celeb_a" else example["image"]
    return {"image": image, "label": example["label"]} if labelled else {"image": image}

  # Map and batch instead of batch_size=-1: CelebA's full-size train split alone is 19 GB.
  dataset = dataset.map(select, num_parallel_calls=tf.data.AUTOTUNE).batch(_READ_BATCH)
  batches = list(tfds.as_numpy(dataset.prefetch(1)))
  if not batches:
    raise DataError(f"TFDS dataset {info.name!r} split {split!r} has no examples")
  images = np.concatenate([batch["image"] for batch in batches])
  if not labelled:
    return images, None
  return images, np.concatenate([batch["label"] for batch in batches]).astype(np.int32)


for _name, _info in TFDS_DATASETS.items():
  DATASETS.register(_name)(Source(describe=lambda info=_info: info,
                                  read=functools.partial(read, _info)))
