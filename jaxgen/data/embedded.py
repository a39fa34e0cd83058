"""Offline datasets, no network needed: digits, binarized_digits and the 2-D toys.

``digits`` is scikit-learn's ``load_digits`` (1,797 8x8 images, grey levels 0..16, labels
0-9) with a fixed split: ``np.random.default_rng(0).permutation(1797)``, the first 1,497
indices train and the last 300 test, in that order, whatever ``load``'s seed; the last 150 of
those 1,497 training images are the validation split (1,347 train, 150 validation, 300 test).
``binarized_digits`` is the same split with level >= 8 -> 1, else 0.
"""

import functools
import importlib.util
import os

import numpy as np

from jaxgen.data import toys
from jaxgen.data.sources import DATASETS, ArrayRecords, DatasetInfo, Source

DIGITS_SPLIT = {"train": slice(0, 1347), "validation": slice(1347, 1497),
                "test": slice(1497, 1797)}
_DIGITS_COMMON = dict(kind="image", key="image", shape=(8, 8, 1), num_classes=10,
                      num_examples={"train": 1347, "validation": 150, "test": 300})
DIGITS = DatasetInfo(name="digits", num_levels=17, **_DIGITS_COMMON)
BINARIZED_DIGITS = DatasetInfo(name="binarized_digits", num_levels=2, **_DIGITS_COMMON)


@functools.cache
def _all_digits() -> tuple[np.ndarray, np.ndarray]:
  """-> (levels uint8 [1797, 8, 8], labels [1797]): what ``load_digits()`` returns, read from the
  CSV scikit-learn ships without importing scikit-learn (0.5 s, paid by every process)."""
  package = os.path.dirname(importlib.util.find_spec("sklearn").origin)
  table = np.loadtxt(os.path.join(package, "datasets", "data", "digits.csv.gz"), delimiter=",")
  return table[:, :-1].reshape(-1, 8, 8).astype(np.uint8), table[:, -1].astype(np.int32)


@functools.cache
def _digits(split: str, binarized: bool) -> ArrayRecords:
  """-> levels uint8 [N, 8, 8, 1], labels int32 [N]; read-only, cached."""
  images, targets = _all_digits()
  order = np.random.default_rng(0).permutation(len(targets))[DIGITS_SPLIT[split]]
  levels = images[order, :, :, None]
  if binarized:
    levels = (levels >= 8).astype(np.uint8)
  labels = targets[order]
  levels.flags.writeable = labels.flags.writeable = False
  return ArrayRecords(levels, labels)


DATASETS.register("digits")(Source(
    describe=lambda: DIGITS, read=lambda split, data_dir: _digits(split, binarized=False)))
DATASETS.register("binarized_digits")(Source(
    describe=lambda: BINARIZED_DIGITS,
    read=lambda split, data_dir: _digits(split, binarized=True)))

for _name in toys.TOYS:
  DATASETS.register(_name)(Source(
      describe=functools.partial(toys.info, _name),
      read=lambda split, data_dir, name=_name: ArrayRecords(*toys.split(name, split))))
