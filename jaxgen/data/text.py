"""``fortunes``: the English text of Debian's ``fortunes`` package, as windows of bytes.

The entries of every file in ``/usr/share/games/fortunes`` (the package's text files, entries
separated by lines holding ``%``; files in name order) are split by entry with
``np.random.default_rng(FORTUNES_SEED).permutation``: 90% train, 5% validation, 5% test, each
split keeping the package's order. A split's text is its entries joined by ``\\n%\\n`` (the
package's own format) as UTF-8 bytes, cut into non-overlapping windows of T = 256 bytes (the last
partial window dropped). Tokens are bytes (V = 256), so bits per token are bits per byte, which
is bits per character for this almost-ASCII text. ``split_text(split)`` is exactly the bytes the
windows hold, so a codec measured on it (``scripts/sequence_codec_bits.py``) compresses the same
data.

Found in ``data.dir``, then ``$JAXGEN_DATA_DIR/fortunes/``, then the package's folder
(``apt-get install fortunes``).
"""

import functools
import os

import numpy as np

from jaxgen.data import idx
from jaxgen.data.sources import DATASETS, ArrayRecords, DatasetInfo, Source
from jaxgen.errors import DataError

FORTUNES_SEED = 33
SYSTEM_DIR = "/usr/share/games/fortunes"
WINDOW = 256
SEPARATOR = "\n%\n"
_FRACTIONS = {"validation": 0.05, "test": 0.05}


def find(data_dir: str | None) -> str:
  """The first folder of data.dir, $JAXGEN_DATA_DIR/fortunes, the package's, holding entries."""
  folders = idx.search_dirs("fortunes", data_dir, SYSTEM_DIR)
  for folder in folders:
    if os.path.isdir(folder) and _files(folder):
      return folder
  raise DataError(f"fortunes: no fortune files in {', '.join(folders)} (apt-get install fortunes, "
                  "or set data.dir)")


def _files(folder: str) -> list[str]:
  """The package's text files: not its ``.dat`` indexes or ``.u8`` links, in name order."""
  return sorted(os.path.join(folder, name) for name in os.listdir(folder)
                if not name.endswith((".dat", ".u8")) and not name.startswith(".")
                and os.path.isfile(os.path.join(folder, name)))


@functools.cache
def _entries(folder: str) -> tuple[str, ...]:
  entries = []
  for path in _files(folder):
    with open(path, encoding="utf-8", errors="replace") as f:
      text = f.read()
    entries += [e.strip("\n") for e in ("\n" + text).split("\n%\n")]
  return tuple(e for e in entries if e.strip())


def split_entries(split: str, data_dir: str | None = None) -> list[str]:
  """A split's entries, in the package's order."""
  entries = _entries(find(data_dir))
  order = np.random.default_rng(FORTUNES_SEED).permutation(len(entries))
  num_test, num_validation = (round(f * len(entries)) for f in _FRACTIONS.values())
  chosen = {"test": order[:num_test], "validation": order[num_test:num_test + num_validation],
            "train": order[num_test + num_validation:]}[split]
  return [entries[i] for i in np.sort(chosen)]


def split_text(split: str, data_dir: str | None = None) -> bytes:
  """The bytes of a split's windows: its entries joined, cut to whole windows of T bytes."""
  text = SEPARATOR.join(split_entries(split, data_dir)).encode("utf-8")
  return text[:len(text) // WINDOW * WINDOW]


@functools.cache
def _split(split: str, data_dir: str | None) -> ArrayRecords:
  windows = np.frombuffer(split_text(split, data_dir), np.uint8).reshape(-1, WINDOW)
  return ArrayRecords(windows, None)


def decode(tokens: np.ndarray) -> str:
  """Bytes [T] -> text (bytes that are not UTF-8 shown as U+FFFD)."""
  return bytes(np.asarray(tokens, np.uint8)).decode("utf-8", errors="replace")


def encode(text: str) -> list:
  return list(text.encode("utf-8"))


@functools.cache
def _info() -> DatasetInfo:
  """Counts the windows of the installed package (the default folder)."""
  counts = {split: len(_split(split, None)) for split in ("train", "validation", "test")}
  return DatasetInfo(name="fortunes", kind="sequence", key="tokens", shape=(WINDOW,),
                     num_levels=256, num_classes=None, num_examples=counts, decode=decode,
                     encode=encode)


DATASETS.register("fortunes")(Source(describe=_info, read=_split))
