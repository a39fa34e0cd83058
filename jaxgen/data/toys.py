"""2-D toy distributions with known densities: ring8, grid25, moons, checkerboard, spirals.

Each toy is a fixed finite sample, 100,000 training, 10,000 validation and 10,000 test points,
drawn from ``np.random.default_rng([crc32(name), stream])`` (stream 0 train, 1 test, 3
validation): the same on every machine, different between splits and toys, and independent of
``load``'s seed.
"""

import dataclasses
import functools
import math
import zlib
from typing import Callable

import jax
import jax.numpy as jnp
import numpy as np

from jaxgen.data.sources import DatasetInfo

NUM_EXAMPLES = {"train": 100_000, "validation": 10_000, "test": 10_000}
_SPLIT_STREAMS = {"train": 0, "test": 1, "validation": 3}
_ENTROPY_STREAM = 2
ENTROPY_SAMPLES = 1_000_000


def _namespace(x):
  """(jax.numpy, x) for jax arrays and tracers, so a log_prob jits; (numpy, x) otherwise, kept
  in its float precision (float32 or float64; anything else becomes float64)."""
  if isinstance(x, jax.Array):
    return jnp, x
  x = np.asarray(x)
  return np, x if x.dtype in (np.float32, np.float64) else x.astype(np.float64)


@dataclasses.dataclass(frozen=True)
class GaussianMixture:
  """Equal-weight mixture of isotropic Gaussians N(centres[k], std^2 I); centres: [K, 2]."""
  centres: np.ndarray
  std: float

  def __post_init__(self):
    self.centres.flags.writeable = False  # Shared through DatasetInfo.mode_centres.

  def sample(self, rng: np.random.Generator, num: int) -> tuple[np.ndarray, np.ndarray]:
    """-> points float32 [num, 2], component labels int32 [num]."""
    labels = rng.integers(len(self.centres), size=num)
    points = self.centres[labels] + self.std * rng.standard_normal((num, 2))
    return points.astype(np.float32), labels.astype(np.int32)

  def log_prob(self, x) -> np.ndarray:
    """x: [N, 2] -> [N] nats, log (1/K) sum_k N(x; centres[k], std^2 I), in x's precision."""
    xp, x = _namespace(x)
    centres = xp.asarray(self.centres, x.dtype)
    # Per coordinate: a [N, K, 2] difference is three times slower in numpy.
    squared = (x[:, :1] - centres[:, 0]) ** 2 + (x[:, 1:] - centres[:, 1]) ** 2
    logits = -squared / (2 * self.std**2)  # [N, K]
    top = logits.max(-1)
    # Subtract the largest term before exp: far from every mode all terms underflow.
    return (top + xp.log(xp.exp(logits - top[:, None]).sum(-1))
            - math.log(len(self.centres)) - math.log(2 * math.pi * self.std**2))

  def entropy(self, rng: np.random.Generator) -> float:
    """Monte Carlo -E[log p] over ENTROPY_SAMPLES float32 draws (standard error ~1e-3 nats;
    float32 exp is an order of magnitude faster than float64 and far more precise than that)."""
    points, _ = self.sample(rng, ENTROPY_SAMPLES)
    # Chunks keep the [N, K] intermediates of log_prob in cache-sized pieces.
    return -float(np.mean(np.concatenate(
        [self.log_prob(chunk) for chunk in np.array_split(points, 20)]), dtype=np.float64))


def _ring_centres(num: int, radius: float) -> np.ndarray:
  angles = 2 * np.pi * np.arange(num) / num
  return radius * np.stack([np.cos(angles), np.sin(angles)], axis=1)


RING8 = GaussianMixture(_ring_centres(8, 2.0), 0.02)
GRID25 = GaussianMixture(
    np.array([(x, y) for x in range(-4, 5, 2) for y in range(-4, 5, 2)], np.float64), 0.05)


def sample_moons(rng: np.random.Generator, num: int) -> np.ndarray:
  """scikit-learn's ``make_moons(noise=0.05)`` in its own coordinates ([-1, 2] x [-0.5, 1])."""
  from sklearn.datasets import make_moons  # Imported here: sklearn is slow to import.
  points, _ = make_moons(num, noise=0.05, random_state=int(rng.integers(2**31)))
  return points.astype(np.float32)


def sample_checkerboard(rng: np.random.Generator, num: int) -> np.ndarray:
  """FFJORD's checkerboard: uniform on the 8 squares of side 2 in [-4, 4)^2 with
  floor(x / 2) + floor(y / 2) even."""
  x = rng.random(num) * 4 - 2
  y = rng.random(num) - 2 * rng.integers(0, 2, num) + np.floor(x) % 2
  return (2 * np.stack([x, y], axis=1)).astype(np.float32)


def checkerboard_log_prob(x) -> np.ndarray:
  """x: [N, 2] -> [N] nats: log(1/32) on the 8 squares (area 32), -inf elsewhere."""
  xp, x = _namespace(x)
  inside = ((x >= -4) & (x < 4)).all(-1) & ((xp.floor(x / 2).sum(-1) % 2) == 0)
  return xp.where(inside, -math.log(32.0), -xp.inf)


def sample_spirals(rng: np.random.Generator, num: int) -> np.ndarray:
  """FFJORD's ``2spirals`` (1.5 turns, U[0, 0.5) jitter, /3, then N(0, 0.1^2) noise), with each
  point's arm drawn at random instead of half the points on each."""
  angle = np.sqrt(rng.random(num)) * 3 * np.pi
  arm = np.stack([-np.cos(angle) * angle + 0.5 * rng.random(num),
                  np.sin(angle) * angle + 0.5 * rng.random(num)], axis=1)
  sign = rng.choice([-1.0, 1.0], size=(num, 1))
  return (sign * arm / 3 + 0.1 * rng.standard_normal((num, 2))).astype(np.float32)


@dataclasses.dataclass(frozen=True)
class Toy:
  """A Gaussian mixture (labelled by component) or an unlabelled sampler (rng, num) -> [num, 2]."""
  mixture: GaussianMixture | None = None
  sample: Callable[[np.random.Generator, int], np.ndarray] | None = None
  log_prob: Callable | None = None
  exact_entropy: float | None = None


TOYS = {
    "ring8": Toy(mixture=RING8),
    "grid25": Toy(mixture=GRID25),
    "moons": Toy(sample=sample_moons),
    "checkerboard": Toy(sample=sample_checkerboard, log_prob=checkerboard_log_prob,
                        exact_entropy=math.log(32.0)),
    "spirals": Toy(sample=sample_spirals),
}


def _rng(name: str, stream: int) -> np.random.Generator:
  return np.random.default_rng([zlib.crc32(name.encode()), stream])


@functools.cache
def info(name: str) -> DatasetInfo:
  """DatasetInfo of a toy; a mixture's entropy is its Monte Carlo estimate, computed here once."""
  toy = TOYS[name]
  common = dict(name=name, kind="points", key="point", shape=(2,), num_levels=None,
                num_examples=dict(NUM_EXAMPLES))
  mixture = toy.mixture
  if mixture is None:
    return DatasetInfo(**common, num_classes=None, log_prob=toy.log_prob,
                       entropy=toy.exact_entropy)
  return DatasetInfo(**common, num_classes=len(mixture.centres), log_prob=mixture.log_prob,
                     mode_centres=mixture.centres, mode_std=mixture.std,
                     entropy=mixture.entropy(_rng(name, _ENTROPY_STREAM)))


@functools.cache
def split(name: str, split_name: str) -> tuple[np.ndarray, np.ndarray | None]:
  """-> points float32 [N, 2], labels int32 [N] (mixtures) or None. Read-only, cached."""
  toy = TOYS[name]
  rng, num = _rng(name, _SPLIT_STREAMS[split_name]), NUM_EXAMPLES[split_name]
  if toy.mixture is None:
    points, labels = toy.sample(rng, num), None
  else:
    points, labels = toy.mixture.sample(rng, num)
  for array in (points, labels):
    if array is not None:
      array.flags.writeable = False
  return points, labels
