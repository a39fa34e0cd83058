"""One iterator API over every dataset: ``load(name, split, batch_size, ...)``.

A split is held in memory as stored examples (uint8 grey levels for images, float32 points
for toys). A global batch is a pure function of (dataset, split, batch size, seed, options,
batch index), so every process computes the same global batch and gathers only its own rows:
the stream is identical on 1 or N processes, and resuming is setting the batch index.
"""

import dataclasses
from typing import Callable, Iterator, Sequence

import jax
import numpy as np

from jaxgen.registry import Registry
from jaxgen.errors import ConfigError, DataError, UnknownNameError

# Random streams are keyed [seed, PURPOSE, ...]. numpy's SeedSequence gives [a, b] and
# [a, b, 0, 0] the same stream, so keys of different purposes must differ before the tail.
_PERMUTATION, _DEQUANTIZE, _BINARIZE = 0, 1, 2
SCALES = ("0_1", "-1_1")
BINARIZATIONS = (None, "fixed", "dynamic")


@dataclasses.dataclass(frozen=True)
class DatasetInfo:
  """What a dataset is: every consumer (models, metrics, the CLI) reads it from here."""
  name: str
  kind: str  # "image" or "points"
  key: str  # batch key of the data: "image" or "point"
  shape: tuple  # per-example shape: (H, W, C) for images, (2,) for points
  num_levels: int | None  # stored grey levels: 17 digits, 2 binarized, 256 8-bit; None: points
  num_classes: int | None  # labels 0..num_classes-1 come with each batch; None: no labels
  num_examples: dict  # split name -> number of examples, e.g. {"train": n, "test": n}
  # Toys only (None for images); see jaxgen.data.toys for how each is computed.
  log_prob: Callable | None = None  # exact log-density [N, 2] -> [N] in nats
  mode_centres: np.ndarray | None = None  # [K, 2] mixture means
  mode_std: float | None = None  # per-coordinate std of each mixture component
  entropy: float | None = None  # true differential entropy in nats

  def value_range(self, scale: str) -> tuple[float, float]:
    """The (low, high) of the images ``load(..., scale=scale)`` delivers."""
    return (-1.0, 1.0) if scale == "-1_1" else (0.0, 1.0)


@dataclasses.dataclass(frozen=True)
class Source:
  """A registered dataset.

  describe: () -> DatasetInfo (cached by the source; a toy's entropy is computed on first use).
  read: (split, data_dir) -> (examples [N, *shape], labels int [N] or None). Images are uint8
    levels 0..num_levels-1, points float32. Arrays are shared between calls: never mutate them.
  """
  describe: Callable[[], DatasetInfo]
  read: Callable[[str, str | None], tuple[np.ndarray, np.ndarray | None]]


DATASETS = Registry("dataset")


def _source(name: str) -> Source:
  source = DATASETS.get(name)
  if not isinstance(source, Source):
    raise ConfigError(f"dataset {name!r} must name a jaxgen.data.pipeline.Source, "
                      f"got {type(source).__name__}")
  return source


def dataset_info(name: str) -> DatasetInfo:
  """The DatasetInfo of a registered dataset (or of a ``package.module:source`` path)."""
  return _source(name).describe()


def dataset_names() -> list[str]:
  return list(DATASETS.names())


def _validated(info: DatasetInfo, split: str, examples: np.ndarray,
               labels: np.ndarray | None) -> None:
  """Raises DataError unless a source returned what its DatasetInfo promises."""
  where = f"dataset {info.name!r} split {split!r}"
  dtype = np.uint8 if info.kind == "image" else np.float32
  if not isinstance(examples, np.ndarray) or examples.dtype != dtype:
    raise DataError(f"{where}: expected {np.dtype(dtype).name} examples, got "
                    f"{getattr(examples, 'dtype', type(examples).__name__)}")
  if examples.ndim != 1 + len(info.shape) or examples.shape[1:] != tuple(info.shape):
    expected = ", ".join(map(str, info.shape))
    raise DataError(f"{where}: expected examples of shape [N, {expected}], got "
                    f"{list(examples.shape)}")
  if len(examples) == 0:
    raise DataError(f"{where}: expected at least one example, got none")
  if info.kind == "image" and examples.max() >= info.num_levels:
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


def _is_int(value) -> bool:
  return isinstance(value, (int, np.integer)) and not isinstance(value, bool)


def _uniforms(seed: int, purpose: int, batch_index: int, rows: range,
              shape: tuple) -> np.ndarray:
  """U[0, 1) float32 [len(rows), *shape]: row r of global batch n has its own stream, so a
  process draws only its rows and still gets what a single process would."""
  return np.stack([
      np.random.default_rng([seed, purpose, batch_index, row]).random(shape, dtype=np.float32)
      for row in rows])


@dataclasses.dataclass(frozen=True)
class ImagePreprocessing:
  """Integer levels -> float32 model inputs.

  Without dequantization x = level / (L - 1) in [0, 1]. With it (Glow's ``model.py``
  convention, as bits/dim expects) x = (level + u) / L, u ~ U[0, 1), i.e. x in
  [level / L, (level + 1) / L] up to float32 rounding. ``binarize="fixed"`` gives
  level >= (L - 1) / 2, ``"dynamic"`` a Bernoulli(level / (L - 1)) draw, both in {0, 1}.
  ``scale="-1_1"`` then maps [0, 1] to [-1, 1] by 2x - 1. Noise for global batch n is a
  function of (seed, n, row) only.
  """
  num_levels: int
  seed: int
  scale: str = "0_1"
  dequantize: bool = False
  binarize: str | None = None

  def __call__(self, levels: np.ndarray, batch_index: int, rows: range) -> np.ndarray:
    """levels: uint8 [b, H, W, C], the global batch's rows ``rows`` -> float32 [b, H, W, C]."""
    top = np.float32(self.num_levels - 1)
    if self.binarize == "fixed":
      x = (levels >= top / 2).astype(np.float32)
    elif self.binarize == "dynamic":
      u = _uniforms(self.seed, _BINARIZE, batch_index, rows, levels.shape[1:])
      x = (u < levels / top).astype(np.float32)
    elif self.dequantize:
      u = _uniforms(self.seed, _DEQUANTIZE, batch_index, rows, levels.shape[1:])
      x = (levels + u) / np.float32(self.num_levels)
    else:
      x = levels / top
    return 2 * x - 1 if self.scale == "-1_1" else x


class DataIterator:
  """This process's part of a stream of global batches over one split.

  Yields {info.key: float32 [b, *shape], "label": int32 [b] (labelled datasets only),
  "mask": float32 [b] (repeat=False only: 1 real, 0 padding)} with b = batch_size //
  process_count; process p gets rows [p*b, (p+1)*b) of global batch n.

  repeat=True: endless full batches; epoch e visits the examples in the order of
  ``np.random.default_rng([seed, 0, e]).permutation(N)`` (stored order without shuffling)
  and drops the last N mod batch_size of them. repeat=False: ``num_batches`` = ceil(N /
  batch_size) full batches in stored order (epoch 0's permutation with shuffle=True); the
  last is padded with examples from the start and masked out.
  """

  def __init__(self, info: DatasetInfo, examples: np.ndarray, labels: np.ndarray | None, *,
               batch_size: int, seed: int, shuffle: bool, repeat: bool, process_index: int,
               process_count: int, preprocess: ImagePreprocessing | None):
    self.info = info
    self._examples = examples
    self._labels = labels
    self._global_batch = batch_size
    local_batch = batch_size // process_count
    self._rows = range(process_index * local_batch, (process_index + 1) * local_batch)
    self._seed = seed
    self._shuffle = shuffle
    self._repeat = repeat
    self._preprocess = preprocess
    self.num_batches = None if repeat else -(-len(examples) // batch_size)
    self._batches = 0
    self._order_cache = (None, None)  # (epoch, order): one permutation per epoch, not per batch

  def get_state(self) -> dict:
    """The position in the stream, JSON-serialisable."""
    return {"batches": self._batches}

  def set_state(self, state: dict) -> None:
    """Continues as the iterator that produced ``state`` would (``{"batches": 0}`` restarts)."""
    batches = state.get("batches") if isinstance(state, dict) else None
    if (not _is_int(batches) or batches < 0
        or (self.num_batches is not None and batches > self.num_batches)):
      raise ConfigError(f"expected a state {{'batches': n}} with 0 <= n"
                        f"{'' if self._repeat else f' <= {self.num_batches}'}, got {state!r}")
    self._batches = int(batches)

  def _order(self, epoch: int) -> np.ndarray:
    if self._order_cache[0] != epoch:
      num = len(self._examples)
      order = (np.random.default_rng([self._seed, _PERMUTATION, epoch]).permutation(num)
               if self._shuffle else np.arange(num))
      self._order_cache = (epoch, order)
    return self._order_cache[1]

  def __iter__(self) -> Iterator[dict]:
    return self

  def __next__(self) -> dict:
    n = self._batches
    if not self._repeat and n >= self.num_batches:
      raise StopIteration
    batch = {}
    if self._repeat:
      epoch, within = divmod(n, len(self._examples) // self._global_batch)
      start = within * self._global_batch
      indices = self._order(epoch)[start + self._rows.start:start + self._rows.stop]
    else:
      positions = n * self._global_batch + np.arange(self._rows.start, self._rows.stop)
      indices = self._order(0)[positions % len(self._examples)]
      batch["mask"] = (positions < len(self._examples)).astype(np.float32)
    examples = self._examples[indices]
    batch[self.info.key] = (self._preprocess(examples, n, self._rows)
                            if self._preprocess else examples)
    if self._labels is not None:
      batch["label"] = self._labels[indices].astype(np.int32)
    self._batches = n + 1
    return batch


def _check_stream_options(info: DatasetInfo, split: str, batch_size: int, seed: int,
                          process_index: int, process_count: int) -> None:
  if split not in info.num_examples:
    raise UnknownNameError(f"unknown split {split!r} of dataset {info.name!r}; valid: "
                           f"{', '.join(info.num_examples)}")
  if not (_is_int(process_count) and _is_int(process_index)
          and 0 <= process_index < process_count):
    raise ConfigError(f"expected 0 <= process_index < process_count, got {process_index} "
                      f"and {process_count}")
  if not _is_int(batch_size) or batch_size < 1 or batch_size % process_count:
    raise ConfigError(f"batch_size must be a positive multiple of process_count "
                      f"{process_count}, got {batch_size}")
  if not _is_int(seed) or not 0 <= seed < 2**32:  # Wider ints would shift the stream keys.
    raise ConfigError(f"seed must be an int in [0, 2**32), got {seed!r}")


def _check_image_options(info: DatasetInfo, scale: str, dequantize: bool,
                         binarize: str | None) -> None:
  if scale not in SCALES:
    raise ConfigError(f"scale must be one of {', '.join(SCALES)}, got {scale!r}")
  if binarize not in BINARIZATIONS:
    raise ConfigError(f"binarize must be None, 'fixed' or 'dynamic', got {binarize!r}")
  if dequantize and binarize:
    raise ConfigError("dequantize and binarize exclude each other: expected one of them")
  if info.kind != "image" and (scale != "0_1" or dequantize or binarize):
    raise ConfigError(f"scale, dequantize and binarize apply to images; {info.name!r} is "
                      f"{info.kind}")


def _check_exclude_labels(info: DatasetInfo, exclude_labels: tuple) -> None:
  if exclude_labels and info.num_classes is None:
    raise ConfigError(f"exclude_labels needs a labelled dataset; {info.name!r} has no labels")
  if any(not _is_int(label) or not 0 <= label < info.num_classes for label in exclude_labels):
    raise ConfigError(f"exclude_labels must be in 0..{info.num_classes - 1}, got "
                      f"{list(exclude_labels)}")


def load(name: str, split: str, batch_size: int, seed: int = 0, *,
         scale: str = "0_1",
         dequantize: bool = False,
         binarize: str | None = None,
         exclude_labels: Sequence[int] = (),
         shuffle: bool | None = None,
         repeat: bool = True,
         process_index: int | None = None,
         process_count: int | None = None,
         data_dir: str | None = None) -> DataIterator:
  """A deterministic, resumable, per-process iterator over one split (see DataIterator).

  Args:
    name: a registered dataset (``dataset_names()``) or a ``package.module:source`` path.
    split: one of ``dataset_info(name).num_examples``.
    batch_size: the GLOBAL batch size; each process gets batch_size // process_count rows.
    seed: an int in [0, 2**32); shuffling and noise depend on it (the stored train/test
      splits do not).
    scale, dequantize, binarize: image preprocessing, see ImagePreprocessing. With binarize
      the iterator's ``info.num_levels`` is 2, as for the data it yields.
    exclude_labels: drop examples with these labels (e.g. train an anomaly detector on 0-8);
      ``info.num_examples`` still counts the whole split, ``num_batches`` what is left.
    shuffle: None means reshuffle each epoch when repeat=True, stored order when repeat=False.
    repeat: True for an endless training stream, False for one masked evaluation pass.
    process_index, process_count: default jax.process_index(), jax.process_count().
    data_dir: TFDS data directory (default $TFDS_DATA_DIR, else TFDS's own default).
  """
  source = _source(name)
  info = source.describe()
  process_index = jax.process_index() if process_index is None else process_index
  process_count = jax.process_count() if process_count is None else process_count
  _check_stream_options(info, split, batch_size, seed, process_index, process_count)
  _check_image_options(info, scale, dequantize, binarize)
  exclude_labels = tuple(exclude_labels)
  _check_exclude_labels(info, exclude_labels)

  examples, labels = source.read(split, data_dir)
  _validated(info, split, examples, labels)
  if exclude_labels:
    keep = ~np.isin(labels, exclude_labels)
    examples, labels = examples[keep], labels[keep]
    if not len(examples):
      raise ConfigError(f"exclude_labels {list(exclude_labels)} leaves no examples in "
                        f"{info.name!r} {split!r}")
  if repeat and batch_size > len(examples):
    raise ConfigError(f"batch_size {batch_size} exceeds the {len(examples)} examples of "
                      f"{info.name!r} {split!r}; a training stream needs full batches")

  seed = int(seed)
  preprocess = None
  if info.kind == "image":
    preprocess = ImagePreprocessing(info.num_levels, seed, scale, dequantize, binarize)
    if binarize:
      info = dataclasses.replace(info, num_levels=2)
  return DataIterator(info, examples, labels, batch_size=int(batch_size), seed=seed,
                      shuffle=repeat if shuffle is None else shuffle, repeat=repeat,
                      process_index=int(process_index), process_count=int(process_count),
                      preprocess=preprocess)
