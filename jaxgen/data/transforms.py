"""Per-example transforms: stored levels -> model inputs, and training-time augmentation.

Every random draw for an example is keyed by (seed, purpose, epoch, index): the same example in
the same epoch gets the same noise whatever the batch size, the number of processes, the
prefetch threads or where a run resumed.
"""

import dataclasses

import numpy as np

from jaxgen.data import augment as augment_lib
from jaxgen.errors import ConfigError

# numpy's SeedSequence gives [a, b] and [a, b, 0, 0] the same stream, so keys of different
# purposes must differ before the tail.
DEQUANTIZE, BINARIZE, FLIP, SHUFFLE, AUGMENT = 1, 2, 3, 4, 5
SCALES = ("0_1", "-1_1")
BINARIZATIONS = (None, "fixed", "dynamic")


_GOLDEN = np.uint64(0x9E3779B97F4A7C15)


def _mix(x: np.ndarray) -> np.ndarray:
  """SplitMix64's finaliser (Steele et al. 2014): a bijection of uint64 that scatters every input
  bit over the output; applied to distinct counters it is a counter-based generator."""
  x = (x ^ (x >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
  x = (x ^ (x >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
  return x ^ (x >> np.uint64(31))


def _uniforms(seed: int, purpose: int, epochs: np.ndarray, indices: np.ndarray,
              shape: tuple) -> np.ndarray:
  """U[0, 1) float32 [b, *shape] on the 2^-24 grid: row r is a function of (seed, purpose,
  epochs[r], indices[r]) only, so an example's draw does not depend on the batch it lands in.
  Counter-based and vectorised: one hash per value, no generator per example."""
  key = _mix(np.full(len(indices), seed, np.uint64) + _GOLDEN)
  for part in (np.uint64(purpose), np.asarray(epochs, np.uint64), np.asarray(indices, np.uint64)):
    key = _mix(key ^ (part + _GOLDEN))
  counters = np.arange(1, 1 + int(np.prod(shape)), dtype=np.uint64) * _GOLDEN
  bits = _mix(key[:, None] + counters) >> np.uint64(40)
  return (bits.astype(np.float32) * np.float32(2.0**-24)).reshape(len(indices), *shape)


def shuffle_seed(seed: int) -> int:
  """grain reshuffles epoch e with seed s + e; a hashed s keeps seeds 0, 1, 2 from sharing
  epochs shifted by one."""
  return int(np.random.default_rng([seed, SHUFFLE]).integers(2**32 - 2**16))


@dataclasses.dataclass(frozen=True)
class ImagePreprocessing:
  """Integer levels -> float32 model inputs.

  Without dequantization x = level / (L - 1) in [0, 1]. With it (Glow's ``model.py``
  convention, as bits/dim expects) x = (level + u) / L, u ~ U[0, 1), i.e. x in
  [level / L, (level + 1) / L] up to float32 rounding. ``binarize="fixed"`` gives
  level >= (L - 1) / 2, ``"dynamic"`` a Bernoulli(level / (L - 1)) draw, both in {0, 1}.
  ``random_flip`` mirrors the image left-right with probability 1/2 and ``augment`` shifts,
  rotates and elastically distorts it (``augment.classical``), both in training only.
  ``scale="-1_1"`` then maps [0, 1] to [-1, 1] by 2x - 1.
  """
  num_levels: int
  seed: int
  scale: str = "0_1"
  dequantize: bool = False
  binarize: str | None = None
  random_flip: bool = False
  augment: bool = False

  def __post_init__(self):
    if self.scale not in SCALES:
      raise ConfigError(f"scale must be one of {', '.join(SCALES)}, got {self.scale!r}")
    if self.binarize not in BINARIZATIONS:
      raise ConfigError(f"binarize must be None, 'fixed' or 'dynamic', got {self.binarize!r}")
    if self.dequantize and self.binarize:
      raise ConfigError("dequantize and binarize exclude each other: expected one of them")
    if self.augment and self.binarize:
      raise ConfigError("augment resamples grey levels; it excludes binarize")

  def __call__(self, levels: np.ndarray, epochs: np.ndarray, indices: np.ndarray) -> np.ndarray:
    """levels: uint8 [b, H, W, C] of examples ``indices`` [b] in ``epochs`` [b] -> float32."""
    top = np.float32(self.num_levels - 1)
    shape = levels.shape[1:]
    if self.binarize == "fixed":
      x = (levels >= top / 2).astype(np.float32)
    elif self.binarize == "dynamic":
      x = (_uniforms(self.seed, BINARIZE, epochs, indices, shape) < levels / top)
      x = x.astype(np.float32)
    elif self.dequantize:
      u = _uniforms(self.seed, DEQUANTIZE, epochs, indices, shape)
      x = (levels + u) / np.float32(self.num_levels)
    else:
      x = levels / top
    if self.augment:
      x = augment_lib.classical(
          x, lambda shape: _uniforms(self.seed, AUGMENT, epochs, indices, shape))
    if self.random_flip:
      flip = _uniforms(self.seed, FLIP, epochs, indices, ())[:, None, None, None] < 0.5
      x = np.where(flip, x[:, :, ::-1], x)
    return 2 * x - 1 if self.scale == "-1_1" else x
