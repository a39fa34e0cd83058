"""Input validation shared by every metric in ``jaxgen.eval``.

Each metric converts its inputs here, so a bad input fails the same way everywhere: a one-line
``DataError`` (or ``ConfigError`` for an out-of-range metric parameter) saying what was expected.
Arrays come back as float64 numpy: metrics reduce in float64 whatever jax's default dtype is.
"""

import numpy as np

from jaxgen.errors import ConfigError, DataError


def as_finite_array(x, name: str, ndim: int) -> np.ndarray:
  """``x`` as a non-empty, finite float64 numpy array with ``ndim`` dimensions."""
  array = np.asarray(x, dtype=np.float64)
  if array.ndim != ndim:
    raise DataError(f"{name}: expected a {ndim}-D array, got shape {array.shape}")
  if array.size == 0:
    raise DataError(f"{name}: expected a non-empty array, got shape {array.shape}")
  if not np.all(np.isfinite(array)):
    raise DataError(f"{name}: expected finite values, got NaN or Inf")
  return array


def as_features(x, name: str) -> np.ndarray:
  """``x``: [N, D] features, N, D >= 1, finite; returned as float64 numpy."""
  return as_finite_array(x, name, ndim=2)


def as_vector(x, name: str) -> np.ndarray:
  """``x``: [N] values, N >= 1, finite; returned as float64 numpy."""
  return as_finite_array(x, name, ndim=1)


def as_probabilities(x, name: str, atol: float = 1e-3) -> np.ndarray:
  """``x``: [N, K] rows of class probabilities (non-negative, each summing to 1 within ``atol``)."""
  probs = as_features(x, name)
  if np.any(probs < 0):
    raise DataError(f"{name}: expected probabilities >= 0 (softmax outputs, not logits)")
  worst = float(np.max(np.abs(probs.sum(axis=1) - 1.0)))
  if worst > atol:
    raise DataError(
        f"{name}: expected rows summing to 1 (softmax outputs), off by up to {worst:.3g}")
  return probs


def as_binary_labels(x, name: str, length: int) -> np.ndarray:
  """``x``: [length] labels in {0, 1} (or booleans); returned as a boolean numpy array."""
  labels = np.asarray(x)
  if labels.shape != (length,):
    raise DataError(f"{name}: expected shape ({length},), got {labels.shape}")
  if not np.all((labels == 0) | (labels == 1)):
    raise DataError(f"{name}: expected labels in {{0, 1}}, got values {np.unique(labels)[:5]}")
  return labels.astype(bool)


def check_same_dim(a: np.ndarray, b: np.ndarray, name_a: str, name_b: str) -> None:
  """Raises unless [N, D] ``a`` and [M, D] ``b`` share the feature dimension D."""
  if a.shape[1] != b.shape[1]:
    raise DataError(f"{name_a} and {name_b}: expected the same feature dimension, "
                    f"got {a.shape[1]} and {b.shape[1]}")


def check_num_samples(x: np.ndarray, minimum: int, name: str, why: str) -> None:
  """Raises unless ``x`` has at least ``minimum`` rows; ``why`` says what needs them."""
  if x.shape[0] < minimum:
    raise DataError(f"{name}: expected at least {minimum} samples ({why}), got {x.shape[0]}")


def check_parameter(value, minimum, name: str, exclusive: bool = False) -> None:
  """Raises ``ConfigError`` unless metric parameter ``value`` >= ``minimum`` (> if exclusive)."""
  if not (value > minimum if exclusive else value >= minimum):
    relation = ">" if exclusive else ">="
    raise ConfigError(f"{name}: expected a value {relation} {minimum}, got {value}")


def checked_images(images, shape: tuple, extractor: str) -> np.ndarray:
  """``images`` as float32 [N, *shape], N >= 1, finite, in [0, 1]; else a one-line DataError."""
  images = np.asarray(images, dtype=np.float32)
  if images.ndim != 1 + len(shape) or images.shape[1:] != tuple(shape):
    expected = ", ".join(map(str, shape))
    raise DataError(f"{extractor} extractor: expected images of shape [N, {expected}], "
                    f"got {list(images.shape)}")
  if images.shape[0] == 0:
    raise DataError(f"{extractor} extractor: expected at least one image, got 0")
  return check_unit_interval(images, f"{extractor} extractor")


def check_unit_interval(images: np.ndarray, where: str) -> np.ndarray:
  """``images`` unchanged if finite and in [0, 1]; else a one-line DataError naming ``where``."""
  if not np.isfinite(images).all():
    raise DataError(f"{where}: expected finite images, got NaN or Inf")
  low, high = float(images.min()), float(images.max())
  if low < 0 or high > 1:
    raise DataError(f"{where}: expected images in [0, 1] (map [-1, 1] data with (x + 1) / 2), "
                    f"got values in [{low:.3g}, {high:.3g}]")
  return images
