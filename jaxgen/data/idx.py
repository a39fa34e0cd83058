"""MNIST and Fashion-MNIST from their IDX files, found on this machine (no network).

The four files (``train-images-idx3-ubyte.gz``, ``train-labels-idx1-ubyte.gz``,
``t10k-images-idx3-ubyte.gz``, ``t10k-labels-idx1-ubyte.gz``; gzipped or not) are looked for
in ``data.dir``, then ``$JAXGEN_DATA_DIR/<name>/``, then the system folder where a package puts
them (Debian's ``dataset-fashion-mnist``: ``/usr/share/datasets/fashion-mnist``).
The IDX format (LeCun et al.): a big-endian header, magic 0x00000803 (images, then N, rows,
columns as uint32) or 0x00000801 (labels, then N), then N uint8 records.
"""

import functools
import gzip
import os

import numpy as np

from jaxgen.errors import DataError

FILES = {"train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
         "test": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte")}
DATASETS = ("mnist", "fashion_mnist")  # the datasets read from IDX files where they are found
SYSTEM_DIRS = {"fashion_mnist": "/usr/share/datasets/fashion-mnist"}
DATA_DIR_ENV = "JAXGEN_DATA_DIR"
_IMAGES_MAGIC, _LABELS_MAGIC = 0x803, 0x801


def _path(folder: str, stem: str) -> str | None:
  """The file ``stem``, gzipped or not, in ``folder``; None if neither is there."""
  for path in (os.path.join(folder, stem + ".gz"), os.path.join(folder, stem)):
    if os.path.exists(path):
      return path
  return None


def _open(folder: str, stem: str):
  path = _path(folder, stem)
  return path, (gzip.open if path.endswith(".gz") else open)(path, "rb")


def read_idx(path: str, opened, magic: int, dims: int) -> np.ndarray:
  """The uint8 array [N, *dims] of one IDX file; DataError for a wrong or truncated file."""
  try:
    with opened as f:
      data = f.read()
  except (OSError, EOFError) as e:  # A gzip stream cut short or not gzip at all.
    raise DataError(f"{path}: cannot be read as an IDX file ({e})") from e
  header = 4 * (1 + dims)
  if len(data) < header:
    raise DataError(f"{path}: {len(data)} bytes, shorter than an IDX header")
  found, *shape = np.frombuffer(data[:header], ">u4").tolist()
  if found != magic:
    raise DataError(f"{path}: IDX magic number {found:#010x}, expected {magic:#010x}")
  expected = header + int(np.prod(shape))
  if len(data) != expected:
    raise DataError(f"{path}: {len(data)} bytes, expected {expected} for an IDX array of shape "
                    f"{shape} (a truncated or wrong file)")
  return np.frombuffer(data, np.uint8, offset=header).reshape(shape)


def search_dirs(name: str, data_dir: str | None, system_dir: str | None = None) -> list[str]:
  """Where dataset ``name``'s files are looked for, in order: ``data.dir``,
  ``$JAXGEN_DATA_DIR/<name>``, then where a package (``SYSTEM_DIRS``) or a script puts them
  (``system_dir``). Every dataset read from files (IDX, text, audio) searches this way."""
  dirs = [data_dir] if data_dir else []
  if os.environ.get(DATA_DIR_ENV):
    dirs.append(os.path.join(os.environ[DATA_DIR_ENV], name))
  system_dir = system_dir or SYSTEM_DIRS.get(name)
  if system_dir:
    dirs.append(system_dir)
  return dirs


def find(name: str, data_dir: str | None) -> str | None:
  """The first folder of ``search_dirs`` that holds the four files, or None."""
  for folder in search_dirs(name, data_dir):
    if all(_path(folder, stem) for stems in FILES.values() for stem in stems):
      return folder
  return None


@functools.cache
def read(folder: str, split: str) -> tuple[np.ndarray, np.ndarray]:
  """-> images uint8 [N, H, W, 1], labels int32 [N] of "train" or "test"; read-only, cached."""
  images_stem, labels_stem = FILES[split]
  images = read_idx(*_open(folder, images_stem), _IMAGES_MAGIC, 3)
  labels = read_idx(*_open(folder, labels_stem), _LABELS_MAGIC, 1).astype(np.int32)
  if len(images) != len(labels):
    raise DataError(f"{folder}: {len(images)} {split} images but {len(labels)} labels")
  images = images[..., None]
  images.flags.writeable = labels.flags.writeable = False
  return images, labels
