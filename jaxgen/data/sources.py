"""What a dataset is (``DatasetInfo``) and where its records come from (``Source``).

A source reads one split as a random-access record source: ``len(records)`` and
``records[i] -> {"example": [*shape], "label": int}`` ("label" only in labelled datasets). Images
are uint8 levels 0..num_levels-1, sequences uint8 tokens 0..num_levels-1, points float32.
``jaxgen.data.loader`` turns a split into a grain stream of batches; nothing here batches,
shuffles or shards.

Every dataset has ``train``, ``validation`` and ``test`` splits: ``validation`` is carved from
the end of the stored training set where the dataset has none of its own, so step counts and
variants are chosen without looking at ``test``.
"""

import dataclasses
from typing import Callable, Protocol

import numpy as np

from jaxgen.errors import ConfigError, DataError
from jaxgen.registry import Registry

SPLITS = ("train", "validation", "test")


@dataclasses.dataclass(frozen=True)
class DatasetInfo:
  """What a dataset is: every consumer (models, metrics, the CLI) reads it from here."""
  name: str
  kind: str  # "image", "points" or "sequence"
  key: str  # batch key of the data: "image", "point" or "tokens"
  shape: tuple  # per-example shape: (H, W, C) for images, (2,) for points, (T,) for sequences
  # stored grey levels (17 digits, 2 binarized, 256 8-bit) or a sequence's vocabulary; None: points
  num_levels: int | None
  num_classes: int | None  # labels 0..num_classes-1 come with each batch; None: no labels
  num_examples: dict  # split name -> number of examples, e.g. {"train": n, "validation": n, ...}
  # Where the true distribution is known (toys, ppca, markov_text): jaxgen.data.toys, markov.
  log_prob: Callable | None = None  # exact log-density (log-probability) [N, *shape] -> [N] nats
  mode_centres: np.ndarray | None = None  # [K, 2] mixture means
  mode_std: float | None = None  # per-coordinate std of each mixture component
  entropy: float | None = None  # true (differential) entropy of an example in nats
  class_names: tuple | None = None  # what labels 0..num_classes-1 mean, where they are not digits
  decode: Callable | None = None  # sequences: tokens [T] -> the text they spell (audio: [-1, 1])
  encode: Callable | None = None  # sequences: text -> its tokens (a prompt); DataError if it can't
  sample_rate: int | None = None  # audio sequences: samples per second (tokens: mu-law codes)
  # Where a sample's class is read off exactly (tones: its pitch): examples [N, *shape] -> [N]
  classify: Callable | None = None

  def value_range(self, scale: str) -> tuple[float, float]:
    """The (low, high) of the images ``load(..., scale=scale)`` delivers."""
    return (-1.0, 1.0) if scale == "-1_1" else (0.0, 1.0)


class Records(Protocol):
  """A random-access split: grain's ``RandomAccessDataSource`` protocol."""

  def __len__(self) -> int: ...

  def __getitem__(self, index: int) -> dict: ...


@dataclasses.dataclass(frozen=True)
class Source:
  """A registered dataset.

  describe: () -> DatasetInfo (cached by the source; a toy's entropy is computed on first use).
  read: (split, data_dir) -> Records of that split (``ArrayRecords`` for data held in memory).
  """
  describe: Callable[[], DatasetInfo]
  read: Callable[[str, str | None], Records]


class ArrayRecords:
  """A split held in memory: examples [N, *shape] and labels int [N] or None (never mutated)."""

  def __init__(self, examples: np.ndarray, labels: np.ndarray | None):
    self.examples, self.labels = examples, labels

  def __len__(self) -> int:
    return len(self.examples)

  def __getitem__(self, index: int) -> dict:
    record = {"example": self.examples[index]}
    if self.labels is not None:
      record["label"] = self.labels[index]
    return record

  def subset(self, indices: np.ndarray) -> "ArrayRecords":
    return ArrayRecords(self.examples[indices],
                        None if self.labels is None else self.labels[indices])


class RecordSubset:
  """The records at ``indices`` of another record source (a validation split carved from train,
  the examples ``exclude_labels`` keeps), read on demand."""

  def __init__(self, records: Records, indices: np.ndarray):
    self.records, self.indices = records, np.asarray(indices)

  def __len__(self) -> int:
    return len(self.indices)

  def __getitem__(self, index: int) -> dict:
    return self.records[int(self.indices[index])]


def carve_validation(num_train: int, num_validation: int, split: str) -> tuple[int, int]:
  """The [start, stop) of ``split`` ("train" or "validation") in a stored training set of
  ``num_train`` examples whose last ``num_validation`` become the validation split (the last
  tenth where the stored set is under ten times that: a subset, or TFDS's mock data)."""
  cut = num_train - min(num_validation, num_train // 10)
  return (0, cut) if split == "train" else (cut, num_train)


DATASETS = Registry("dataset")


def source(name: str) -> Source:
  found = DATASETS.get(name)
  if not isinstance(found, Source):
    raise ConfigError(f"dataset {name!r} must name a jaxgen.data.sources.Source, "
                      f"got {type(found).__name__}")
  return found


def dataset_info(name: str) -> DatasetInfo:
  """The DatasetInfo of a registered dataset (or of a ``package.module:source`` path)."""
  return source(name).describe()


def dataset_names() -> list[str]:
  return list(DATASETS.names())


def check_records(info: DatasetInfo, split: str, records: Records) -> None:
  """Raises DataError unless a source gave what its DatasetInfo promises: every record of an
  in-memory split, the first record of any other."""
  where = f"dataset {info.name!r} split {split!r}"
  if len(records) == 0:
    raise DataError(f"{where}: expected at least one example, got none")
  if isinstance(records, ArrayRecords):
    examples, labels = records.examples, records.labels
  else:
    first = records[0]
    examples = np.asarray(first["example"])[None]
    labels = None if "label" not in first else np.asarray([first["label"]])
  dtype = np.float32 if info.kind == "points" else np.uint8
  if not isinstance(examples, np.ndarray) or examples.dtype != dtype:
    raise DataError(f"{where}: expected {np.dtype(dtype).name} examples, got "
                    f"{getattr(examples, 'dtype', type(examples).__name__)}")
  if examples.ndim != 1 + len(info.shape) or examples.shape[1:] != tuple(info.shape):
    expected = ", ".join(map(str, info.shape))
    raise DataError(f"{where}: expected examples of shape [N, {expected}], got "
                    f"{list(examples.shape)}")
  if info.kind != "points" and examples.max() >= info.num_levels:
    raise DataError(f"{where}: expected levels 0..{info.num_levels - 1}, got a maximum of "
                    f"{examples.max()}")
  if info.kind == "points" and not np.isfinite(examples).all():
    raise DataError(f"{where}: expected finite points, got NaN or Inf")
  if (labels is None) != (info.num_classes is None):
    raise DataError(f"{where}: expected labels {'' if info.num_classes else 'not '}to be given")
  if labels is not None:
    if labels.shape != (len(examples),) or not np.issubdtype(labels.dtype, np.integer):
      raise DataError(f"{where}: expected integer labels of shape [{len(examples)}], "
                      f"got {labels.dtype} {list(labels.shape)}")
    if labels.min() < 0 or labels.max() >= info.num_classes:
      raise DataError(f"{where}: expected labels in 0..{info.num_classes - 1}, got "
                      f"{labels.min()}..{labels.max()}")
