"""Feature-extractor weights as .npz files: written reproducibly, read without pickle.

Keys are Flax variable paths joined by "/" (``params/Dense_0/kernel``); every key and shape is
checked against the module that will use them. Shared by every extractor (digits, Inception-v3).
"""

import hashlib
import io
import os
import zipfile

import flax.linen as nn
import jax
import jax.numpy as jnp
import numpy as np
from flax import traverse_util

from jaxgen.errors import CheckpointError, DataError
from jaxgen.eval.checks import checked_images

_ZIP_EPOCH = (1980, 1, 1, 0, 0, 0)  # The earliest time zip can store: no wall-clock in the file.


def file_hash(path: str) -> str:
  """First 16 hex digits of the SHA-256 of the file at ``path``."""
  digest = hashlib.sha256()
  with open(path, "rb") as f:
    for chunk in iter(lambda: f.read(1 << 20), b""):
      digest.update(chunk)
  return digest.hexdigest()[:16]


def save_weights(variables, path: str) -> None:
  """Writes a Flax variable tree to ``path`` as an uncompressed .npz, byte-for-byte reproducible.

  ``np.savez`` stamps each member with the current time; this writes the same format with a fixed
  timestamp and sorted keys, so equal weights give an equal file and an equal ``file_hash``.
  """
  flat = traverse_util.flatten_dict(jax.device_get(variables), sep="/")
  with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_STORED) as archive:
    for key in sorted(flat):
      buffer = io.BytesIO()
      np.lib.format.write_array(buffer, np.asarray(flat[key]), allow_pickle=False)
      archive.writestr(zipfile.ZipInfo(key + ".npy", date_time=_ZIP_EPOCH), buffer.getvalue())


def load_weights(path: str, module: nn.Module, example_input: jax.ShapeDtypeStruct) -> dict:
  """Reads ``save_weights``'s file into ``module``'s variable tree, checking every key and shape.

  The expected structure is ``module.init``'s on ``example_input`` (traced, not run).
  Raises CheckpointError for a missing or unreadable file, a missing or extra key, or a shape that
  differs from the module's.
  """
  if not os.path.isfile(path):
    raise CheckpointError(f"weights file {path!r} not found: expected an .npz of "
                          f"{type(module).__name__} weights")
  expected = traverse_util.flatten_dict(
      jax.eval_shape(module.init, jax.random.key(0), example_input), sep="/")
  try:
    with np.load(path, allow_pickle=False) as stored:
      arrays = {key: stored[key] for key in stored.files}
  except (OSError, ValueError, zipfile.BadZipFile) as e:
    raise CheckpointError(f"weights file {path!r}: expected an .npz of plain arrays ({e})") from e
  missing, extra = sorted(set(expected) - set(arrays)), sorted(set(arrays) - set(expected))
  if missing or extra:
    raise CheckpointError(f"weights file {path!r}: expected the variables of "
                          f"{type(module).__name__}; missing {missing}, unexpected {extra}")
  for key, spec in expected.items():
    if arrays[key].shape != spec.shape:
      raise CheckpointError(f"weights file {path!r}: expected {key} of shape {spec.shape}, "
                            f"got {arrays[key].shape}")
  return traverse_util.unflatten_dict(
      {key: jnp.asarray(arrays[key], spec.dtype) for key, spec in expected.items()}, sep="/")


def path_from_environment(variable: str, what: str, command: str) -> str:
  """The weights file that ``$variable`` names; CheckpointError saying how to make it if unset."""
  path = os.environ.get(variable)
  if not path:
    raise CheckpointError(f"${variable} is not set: expected the path of {what}; make it "
                          f"offline with `{command}`")
  return path


class BatchedExtractor:
  """What every extractor shares: ``features`` and ``class_probabilities`` of images in [0, 1]
  through one jitted ``_forward(variables, batch) -> {"features", "probabilities"}``. A subclass
  sets ``name``, ``batch_size``, ``_variables`` and ``_forward``, and may override ``_prepare``
  (checks and any host-side preprocessing of the whole array)."""
  name: str
  batch_size: int

  def features(self, images: np.ndarray) -> np.ndarray:
    """images: [N, H, W, C] in [0, 1], C = 1 or 3 -> float32 [N, feature_dim]."""
    return self._run(images, "features")

  def class_probabilities(self, images: np.ndarray) -> np.ndarray:
    """images: [N, H, W, C] in [0, 1], C = 1 or 3 -> float32 [N, num_classes] (softmax)."""
    return self._run(images, "probabilities")

  def _prepare(self, images: np.ndarray) -> np.ndarray:
    """images: float32 -> checked images [N, H, W, C] of any size, C = 1 or 3."""
    if images.ndim != 4 or images.shape[-1] not in (1, 3):
      raise DataError(f"{self.name} extractor: expected images [N, H, W, C] with C = 1 or 3, got "
                      f"shape {list(images.shape)}")
    return checked_images(images, images.shape[1:], self.name)

  def _run(self, images, output: str) -> np.ndarray:
    images = self._prepare(np.asarray(images, np.float32))
    return run_batched(lambda batch: self._forward(self._variables, batch)[output], images,
                       self.batch_size)


def run_batched(forward, images: np.ndarray, batch_size: int) -> np.ndarray:
  """``forward`` (one jitted function of a batch) over ``images`` in batches of ``min(batch_size,
  N)``, the last padded with zeros and cut back, so each image shape compiles once."""
  batch_size = min(batch_size, images.shape[0])
  results = []
  for start in range(0, images.shape[0], batch_size):
    batch = images[start:start + batch_size]
    padding = np.zeros((batch_size - len(batch), *images.shape[1:]), images.dtype)
    results.append(np.asarray(forward(np.concatenate([batch, padding])))[:len(batch)])
  return np.concatenate(results)
