"""One entry point over every dataset: ``load(name, split, batch_size, ...)`` -> a grain stream.

The stream is a grain ``IterDataset`` of this process's rows of each global batch. Global
element t of a training stream is example ``shuffle_e(t mod N)`` of epoch e = t // N (grain
reshuffles each epoch), transformed with noise keyed by (seed, epoch, example); global batch n
is elements [n B, (n + 1) B) and process p takes rows [p b, (p + 1) b) of it (b = B / processes).
So a batch is a function of (seed, n) alone: 1 or N processes see the same global batches, and
resuming is restoring the grain iterator's state. Batches are assembled by grain's read threads
and prefetched, so the training step does not wait for them.

With ``domain_classes`` (a_0, ..., a_{K-1}) a training stream's global batch is K blocks of B / K
rows, block k drawn from class a_k's examples alone, each class walking through its own shuffled
epochs (``ClassBlocks``): the same (seed, n) rule, with an example's epoch its class's.
"""

import dataclasses
import math
from typing import Sequence

import grain
import jax
import numpy as np

from jaxgen.data import edges, sources, transforms
from jaxgen.errors import ConfigError, UnknownNameError

LABELLED_SUBSET = 6  # the purpose key of the labelled subset's order (transforms' keys are 1-5)
CLASS_ORDER = 7  # the purpose key of each class's order in class-block batches
# ``paired_source`` -> the function of a batch's stored levels [b, H, W, C] that makes its
# ``source`` [b, H, W, 1] (paired image-to-image data; "" adds none).
PAIRED_SOURCES = {"edges": edges.edge_map}

# Read threads and batches kept ready per stream: enough to hide the per-example transforms of
# a 28x28 batch behind a CPU train step (benchmarks/input_pipeline.py measures it).
READ_THREADS = 4
PREFETCH_BATCHES = 8


class ProcessRows(grain.MapDataset):
  """Process p's rows of each global batch: local element j is parent[t], an example's (epoch,
  record index), for global position t = (j // b) * B + p * b + j mod b (global batch B, local
  batch b)."""

  def __init__(self, parent: grain.MapDataset, global_batch: int, rows: range):
    super().__init__(parent)
    self._global_batch, self._rows = global_batch, rows
    self._length = len(parent) // global_batch * len(rows)

  def __len__(self) -> int:
    return self._length

  def __str__(self) -> str:
    return f"ProcessRows(global_batch={self._global_batch}, rows={self._rows})"

  def __getitem__(self, index):
    if isinstance(index, slice):
      return self.slice(index)
    batch, row = divmod(index, len(self._rows))
    return self._parent[batch * self._global_batch + self._rows.start + row]


class ClassBlocks(grain.MapDataset):
  """The order of a training stream of class blocks: row r of global batch n (position
  t = n B + r) is draw n B / K + r mod (B / K) of class k = r // (B / K), whose ``members[k]``
  (record indices) are drawn epoch after epoch in the order ``orders[k]``. Element t is (that
  class's epoch, the record index), so an example's noise is keyed by its own class's epochs."""

  def __init__(self, orders: Sequence[grain.MapDataset], members: Sequence[np.ndarray],
               global_batch: int):
    super().__init__(orders)
    self._members, self._block = members, global_batch // len(members)

  def __len__(self) -> int:
    return min(len(parent) for parent in self._parents)

  def __str__(self) -> str:
    return f"ClassBlocks(classes={len(self._members)}, block={self._block})"

  def __getitem__(self, index):
    if isinstance(index, slice):
      return self.slice(index)
    batch, row = divmod(index, self._block * len(self._members))
    k, offset = divmod(row, self._block)
    draw, members = batch * self._block + offset, self._members[k]
    return draw // len(members), members[self._parents[k][draw] % len(members)]


@dataclasses.dataclass(frozen=True)
class Stream:
  """``iter(stream)`` is a grain iterator (``get_state`` / ``set_state``) of this process's
  batches: {info.key: float32 [b, *shape] (sequences: int32 tokens [b, T]), "label": int32 [b]
  (labelled datasets), "source": float32 [b, H, W, 1] (``paired_source`` set), "mask": float32
  [b] (repeat=False only: 1 real, 0 padding)}. ``num_batches`` is None for an endless
  training stream."""
  info: sources.DatasetInfo
  dataset: grain.IterDataset
  num_batches: int | None

  def __iter__(self):
    return iter(self.dataset)


def _is_int(value) -> bool:
  return isinstance(value, (int, np.integer)) and not isinstance(value, bool)


def _check_stream_options(info: sources.DatasetInfo, split: str, batch_size: int, seed: int,
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


def _check_paired_source(info: sources.DatasetInfo, paired_source: str, random_flip: bool,
                          augment: bool) -> None:
  if paired_source and paired_source not in PAIRED_SOURCES:
    raise ConfigError(f"paired_source must be '' or one of {', '.join(PAIRED_SOURCES)}, got "
                      f"{paired_source!r}")
  if paired_source and info.kind != "image":
    raise ConfigError(f"paired_source {paired_source!r} needs images; {info.name!r} is {info.kind}")
  if paired_source and (random_flip or augment):  # The source is made from the stored image.
    raise ConfigError(f"paired_source {paired_source!r} pairs each source with the stored image; "
                      "random_flip and augment would move the image away from its source")


def _labels(records: sources.Records) -> np.ndarray:
  """[N] labels of a labelled split: an in-memory split's own, else read once, record by record
  (the examples stay where they are)."""
  if isinstance(records, sources.ArrayRecords):
    return records.labels
  return np.asarray([records[i]["label"] for i in range(len(records))])


def _subset(records: sources.Records, indices: np.ndarray) -> sources.Records:
  """The records at ``indices``, in that order."""
  if isinstance(records, sources.ArrayRecords):
    return records.subset(indices)
  return sources.RecordSubset(records, indices)


def _kept(records: sources.Records, info: sources.DatasetInfo, split: str,
          exclude_labels: tuple) -> sources.Records:
  """The records whose label is not in ``exclude_labels``."""
  if exclude_labels and info.num_classes is None:
    raise ConfigError(f"exclude_labels needs a labelled dataset; {info.name!r} has no labels")
  if any(not _is_int(label) or not 0 <= label < info.num_classes for label in exclude_labels):
    raise ConfigError(f"exclude_labels must be in 0..{info.num_classes - 1}, got "
                      f"{list(exclude_labels)}")
  if not exclude_labels:
    return records
  kept = _subset(records, np.flatnonzero(~np.isin(_labels(records), exclude_labels)))
  if not len(kept):
    raise ConfigError(f"exclude_labels {list(exclude_labels)} leaves no examples in "
                      f"{info.name!r} {split!r}")
  return kept


def _of_classes(records: sources.Records, info: sources.DatasetInfo, split: str,
                classes: tuple) -> tuple[sources.Records, list[np.ndarray]]:
  """-> (the records whose label is one of ``classes``, in stored order; for each class, the
  indices of its examples among them)."""
  if info.num_classes is None:
    raise ConfigError(f"domain_classes needs a labelled dataset; {info.name!r} has no labels")
  if (any(not _is_int(label) or not 0 <= label < info.num_classes for label in classes)
      or len(set(classes)) < len(classes)):
    raise ConfigError(f"domain_classes must be distinct labels in 0..{info.num_classes - 1}, "
                      f"got {list(classes)}")
  labels = _labels(records)
  kept = np.flatnonzero(np.isin(labels, classes))
  members = [np.flatnonzero(labels[kept] == label) for label in classes]
  empty = [label for label, indices in zip(classes, members) if not len(indices)]
  if empty:
    raise ConfigError(f"domain_classes {list(classes)}: {info.name!r} {split!r} has no examples "
                      f"of classes {empty}")
  return _subset(records, kept), members


def _labelled(records: sources.Records, info: sources.DatasetInfo, split: str,
              labels_per_class: int, seed: int, unlabelled: str) -> sources.Records:
  """The first ``labels_per_class`` examples of each class in a seeded order keep their labels
  (the labelled subset of a semi-supervised or few-shot run); the others are dropped
  (``unlabelled="drop"``) or kept with label -1 (``"keep"``)."""
  if info.num_classes is None:
    raise ConfigError(f"labels_per_class needs a labelled dataset; {info.name!r} has no labels")
  if not _is_int(labels_per_class) or labels_per_class < 1:
    raise ConfigError(f"labels_per_class must be an int >= 1 (0: every label), got "
                      f"{labels_per_class!r}")
  if unlabelled not in ("drop", "keep"):
    raise ConfigError(f"unlabelled must be 'drop' or 'keep', got {unlabelled!r}")
  examples, labels = _gather(records, np.arange(len(records)))
  order = np.random.default_rng([seed, LABELLED_SUBSET]).permutation(len(labels))
  chosen = np.concatenate([order[labels[order] == c][:labels_per_class]
                           for c in range(info.num_classes)])
  short = [c for c in range(info.num_classes) if np.sum(labels == c) < labels_per_class]
  if short:
    raise ConfigError(f"labels_per_class={labels_per_class} exceeds the examples of classes "
                      f"{short} in {info.name!r} {split!r}")
  if unlabelled == "drop":
    chosen = np.sort(chosen)
    return sources.ArrayRecords(examples[chosen], labels[chosen])
  kept = np.full_like(labels, -1)
  kept[chosen] = labels[chosen]
  return sources.ArrayRecords(examples, kept)


def _with_synthetic(records: sources.Records, info: sources.DatasetInfo,
                    path: str) -> sources.ArrayRecords:
  """``records`` followed by the examples of ``path``, an .npz of stored-format ``example``
  [n, *shape] (image levels) and ``label`` [n] (a generator's samples, ``jaxgen augment``)."""
  try:
    with np.load(path) as stored:
      extra, extra_labels = stored["example"], stored["label"]
  except (OSError, KeyError, ValueError) as e:
    raise ConfigError(f"synthetic examples {path!r} could not be read ({e}); expected an .npz "
                      "with 'example' and 'label'") from None
  if extra.shape[1:] != tuple(info.shape) or len(extra_labels) != len(extra):
    raise ConfigError(f"synthetic examples {path!r} have shape {extra.shape} and "
                      f"{len(extra_labels)} labels; {info.name!r} needs [n, "
                      f"{', '.join(map(str, info.shape))}] and one label each")
  examples, labels = _gather(records, np.arange(len(records)))
  return sources.ArrayRecords(np.concatenate([examples, extra.astype(examples.dtype)]),
                              np.concatenate([labels, extra_labels.astype(labels.dtype)]))


def _gather(records: sources.Records,
            indices: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
  """-> (examples [b, *shape], labels [b] or None) of the records at ``indices``."""
  if isinstance(records, sources.ArrayRecords):
    return records.examples[indices], (None if records.labels is None
                                       else records.labels[indices])
  read = [records[int(i)] for i in indices]
  labels = np.asarray([r["label"] for r in read]) if "label" in read[0] else None
  return np.stack([np.asarray(r["example"]) for r in read]), labels


def _order(num: int, shuffled: bool, seed: int) -> grain.MapDataset:
  """Record indices 0..num-1 epoch after epoch, each epoch reshuffled from ``seed`` when
  ``shuffled``."""
  order = grain.MapDataset.range(num)
  if shuffled:
    order = order.shuffle(seed=transforms.shuffle_seed(seed))
  return order.repeat()


def _class_seed(seed: int, label: int) -> int:
  """The seed of class ``label``'s order in class-block batches: its own, so that two classes of
  equal size are not drawn in step."""
  return int(np.random.default_rng([seed, CLASS_ORDER, label]).integers(2**32))


def _check_class_blocks(info: sources.DatasetInfo, split: str, batch_size: int, classes: tuple,
                        members: list[np.ndarray]) -> None:
  """Raises ConfigError unless each class fills an equal block of a training batch."""
  if batch_size % len(classes):
    raise ConfigError(f"batch_size {batch_size} must be a multiple of the {len(classes)} "
                      f"domain_classes {list(classes)}: each takes an equal block")
  block = batch_size // len(classes)
  short = [label for label, indices in zip(classes, members) if len(indices) < block]
  if short:
    raise ConfigError(f"batch_size {batch_size} asks for {block} examples of each class; "
                      f"{info.name!r} {split!r} has fewer of classes {short}")


def load(name: str, split: str, batch_size: int, seed: int = 0, *,
         scale: str = "0_1",
         dequantize: bool = False,
         binarize: str | None = None,
         random_flip: bool = False,
         augment: bool = False,
         exclude_labels: Sequence[int] = (),
         labels_per_class: int = 0,
         unlabelled: str = "drop",
         synthetic: str = "",
         paired_source: str = "",
         domain_classes: Sequence[int] = (),
         shuffle: bool | None = None,
         repeat: bool = True,
         process_index: int | None = None,
         process_count: int | None = None,
         data_dir: str | None = None) -> Stream:
  """A deterministic, resumable, per-process stream of batches of one split (see Stream).

  Args:
    name: a registered dataset (``dataset_names()``) or a ``package.module:source`` path.
    split: one of ``dataset_info(name).num_examples`` (train, validation, test).
    batch_size: the GLOBAL batch size; each process gets batch_size // process_count rows.
    seed: an int in [0, 2**32); shuffling and noise depend on it (the stored splits do not).
    scale, dequantize, binarize, random_flip: image preprocessing, see
      ``transforms.ImagePreprocessing``. With binarize the stream's ``info.num_levels`` is 2.
    augment: classical augmentation (``jaxgen.data.augment``), for training streams.
    exclude_labels: drop examples with these labels (e.g. train an anomaly detector on 0-8);
      ``info.num_examples`` still counts the whole split, ``num_batches`` what is left.
    labels_per_class: keep the labels of this many examples per class (0: all), chosen by
      ``seed``; ``unlabelled`` says what becomes of the rest: "drop", or "keep" with label -1.
    synthetic: an .npz of extra labelled examples appended to the split (``_with_synthetic``).
    paired_source: "" or a name of ``PAIRED_SOURCES`` ("edges": ``edges.edge_map``): adds
      ``source``, made from each example's stored levels, so the same in every epoch and
      whatever the preprocessing (images only; excludes random_flip and augment).
    domain_classes: keep only the examples of these K labels (the domains of unpaired
      translation between classes); a training stream (repeat=True) then makes each global
      batch K blocks of batch_size / K rows, block k of class domain_classes[k] alone, each class
      in its own shuffled epochs (``ClassBlocks``); a pass (repeat=False) keeps stored order.
    shuffle: None means reshuffle each epoch when repeat=True, stored order when repeat=False.
    repeat: True for an endless training stream, False for one pass of ceil(N / batch_size)
      batches, the last padded with examples from the start and masked out.
    process_index, process_count: default jax.process_index(), jax.process_count().
    data_dir: where the files are (see each source; TFDS: default $TFDS_DATA_DIR).
  """
  source = sources.source(name)
  info = source.describe()
  process_index = jax.process_index() if process_index is None else process_index
  process_count = jax.process_count() if process_count is None else process_count
  _check_stream_options(info, split, batch_size, seed, process_index, process_count)
  _check_paired_source(info, paired_source, random_flip, augment)
  seed = int(seed)
  preprocess = None
  if info.kind == "image":
    preprocess = transforms.ImagePreprocessing(info.num_levels, seed, scale, dequantize,
                                               binarize, random_flip, augment)
  elif scale != "0_1" or dequantize or binarize or random_flip or augment:
    raise ConfigError(f"scale, dequantize, binarize, random_flip and augment apply to images; "
                      f"{info.name!r} is {info.kind}")

  records = source.read(split, data_dir)
  sources.check_records(info, split, records)
  records = _kept(records, info, split, tuple(exclude_labels))
  if labels_per_class:
    records = _labelled(records, info, split, labels_per_class, seed, unlabelled)
  if synthetic:
    records = _with_synthetic(records, info, synthetic)
  domain_classes = tuple(domain_classes)
  if domain_classes:
    records, members = _of_classes(records, info, split, domain_classes)
  num = len(records)
  if repeat and batch_size > num:
    raise ConfigError(f"batch_size {batch_size} exceeds the {num} examples of "
                      f"{info.name!r} {split!r}; a training stream needs full batches")

  # grain orders (epoch, record index) pairs; reading and transforming happen once per batch,
  # vectorised.
  shuffled = repeat if shuffle is None else shuffle
  num_batches = None if repeat else math.ceil(num / batch_size)
  if repeat and domain_classes:
    _check_class_blocks(info, split, batch_size, domain_classes, members)
    order = ClassBlocks([_order(len(indices), shuffled, _class_seed(seed, label))
                         for label, indices in zip(domain_classes, members)],
                        members, batch_size)
  else:
    order = _order(num, shuffled, seed)
    if not repeat:
      order = order[:num_batches * batch_size]
    # Past the first epoch a parent's index may run on: the record index is taken mod N. A
    # pass's padding, past position N, is its "epoch 1".
    order = order.map_with_index(lambda position, index: (position // num, index % num))
  local_batch = batch_size // process_count
  rows = range(process_index * local_batch, (process_index + 1) * local_batch)
  dataset = ProcessRows(order, batch_size, rows).batch(local_batch, drop_remainder=True)

  def read_batch(epochs_and_indices: tuple) -> dict:
    """(epochs [b], record indices [b]) -> the batch."""
    epoch, index = epochs_and_indices
    examples, labels = _gather(records, index)
    source = PAIRED_SOURCES[paired_source](examples) if paired_source else None
    if preprocess:
      # A pass draws its noise as epoch 0's, padding included.
      examples = preprocess(examples, epoch if repeat else np.zeros_like(epoch), index)
    elif info.kind == "sequence":  # tokens index embeddings
      examples = examples.astype(np.int32)
    batch = {info.key: examples}
    if source is not None:
      batch["source"] = source
    if labels is not None:
      batch["label"] = labels.astype(np.int32)
    if not repeat:
      batch["mask"] = (epoch == 0).astype(np.float32)
    return batch

  dataset = dataset.map(read_batch).to_iter_dataset(
      grain.ReadOptions(num_threads=READ_THREADS, prefetch_buffer_size=PREFETCH_BATCHES))
  if binarize:
    info = dataclasses.replace(info, num_levels=2)
  return Stream(info, dataset, num_batches)
