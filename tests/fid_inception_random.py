"""Random weights for pytorch-fid's FIDInceptionV3 and images for the resize modes, made the same
way by the fixture scripts (with torch) and by the tests (without): every tensor of the state
dict from (seed, name, shape) alone, every image from (seed, size)."""

import os
import zlib

import numpy as np

FIXTURE = os.path.join(os.path.dirname(__file__), "fixtures", "fid_inception_random.npz")
SEED = 20151205


def random_tensor(seed: int, name: str, shape: tuple) -> np.ndarray:
  """Scales that keep activations O(1) through the 94 layers: He-normal convolutions, BatchNorm
  scales and variances in [0.5, 1.5], small shifts and means."""
  rng = np.random.default_rng([seed, zlib.crc32(name.encode())])
  leaf = name.rsplit(".", 1)[-1]
  if leaf == "weight" and len(shape) > 1:  # conv [O, I, H, W] or fc [O, I]
    fan_in = int(np.prod(shape[1:]))
    return (rng.standard_normal(shape) * np.sqrt(2.0 / fan_in)).astype(np.float32)
  if leaf in ("weight", "running_var"):
    return rng.uniform(0.5, 1.5, shape).astype(np.float32)
  if leaf == "num_batches_tracked":
    return np.zeros(shape, np.int64)
  return (0.1 * rng.standard_normal(shape)).astype(np.float32)


def random_state_dict(seed: int, names: list, shapes: list) -> dict:
  return {name: random_tensor(seed, name, tuple(shape)) for name, shape in zip(names, shapes)}


def random_images(seed: int, num: int = 2) -> np.ndarray:
  """[num, 299, 299, 3] in [-1, 1]: the network's input after resizing and scaling."""
  return np.random.default_rng([seed, 1]).uniform(-1, 1, (num, 299, 299, 3)).astype(np.float32)


RESIZE_FIXTURE = os.path.join(os.path.dirname(__file__), "fixtures", "fid_resize.npz")
RESIZE_SIZE = 75
RESIZE_INPUT_SIZES = (32, 128)  # upsampled and downsampled to RESIZE_SIZE


def resize_inputs(size: int, num: int = 2) -> np.ndarray:
  """[num, size, size, 3] in [0, 1] on the 1/255 grid (uint8 images, as files hold them)."""
  levels = np.random.default_rng([SEED, 2, size]).integers(0, 256, (num, size, size, 3))
  return (levels / 255.0).astype(np.float32)


FRECHET_FIXTURE = os.path.join(os.path.dirname(__file__), "fixtures", "fid_frechet.npz")


def frechet_moments(dims: int = 64) -> tuple:
  """(mu1, sigma1, mu2, sigma2): two Gaussians of full-rank covariances, float64."""
  rng = np.random.default_rng([SEED, 3])
  moments = []
  for _ in range(2):
    factor = rng.standard_normal((dims, 2 * dims)) / np.sqrt(2 * dims)
    moments += [rng.standard_normal(dims), factor @ factor.T]
  return tuple(moments)
