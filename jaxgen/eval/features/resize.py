"""How images reach the FID Inception: resizing to 299x299 and scaling, as named modes.

A mode changes FID by up to several points (Parmar et al. 2022, clean-fid), so every result
records the one it used (``describe()["resize"]``). Input: images [B, H, W, C] in [0, 1].

  legacy_tf    TTUR's ``fid.py``, TF-GAN, torch-fidelity: the 2015 graph's own TF1
               ``ResizeBilinear`` (no half-pixel centres: source = destination * in / out) on
               0..255 values, then (x - 128) / 128. What most published GAN FIDs used.
  pytorch_fid  pytorch-fid: ``F.interpolate(bilinear, align_corners=False)``, half-pixel centres
               and no antialiasing, then 2x - 1.
  clean        clean-fid: quantise to uint8 (round(255 x)), resize each channel with PIL's
               bicubic filter in float, clip to 0..255, then (x - 128) / 128. Runs on the host.
"""

import numpy as np
from PIL import Image

from jaxgen.errors import ConfigError

RESIZE_MODES = ("legacy_tf", "pytorch_fid", "clean")
SIZE = 299


def check_mode(mode: str) -> None:
  if mode not in RESIZE_MODES:
    raise ConfigError(f"resize mode: expected one of {', '.join(RESIZE_MODES)}, got {mode!r}")


def bilinear_matrix(size_in: int, size_out: int, half_pixel: bool) -> np.ndarray:
  """[size_out, size_in] weights of 1-D bilinear resampling: row o mixes the two input pixels
  around its source position, (o + 0.5) s - 0.5 clamped at 0 with half-pixel centres (PyTorch's
  ``align_corners=False``), o s without (TF1), for s = size_in / size_out."""
  scale = size_in / size_out
  out = np.arange(size_out, dtype=np.float64)
  source = np.maximum((out + 0.5) * scale - 0.5, 0.0) if half_pixel else out * scale
  low = np.minimum(np.floor(source).astype(np.int64), size_in - 1)
  high = np.minimum(low + 1, size_in - 1)
  fraction = source - low
  matrix = np.zeros((size_out, size_in), np.float64)
  np.add.at(matrix, (np.arange(size_out), low), 1.0 - fraction)
  np.add.at(matrix, (np.arange(size_out), high), fraction)
  return matrix.astype(np.float32)


def bilinear(images, size: int, half_pixel: bool, xp=np):
  """images: [B, H, W, C] -> [B, size, size, C], separable (``xp``: numpy or jax.numpy)."""
  rows = bilinear_matrix(images.shape[1], size, half_pixel)
  columns = bilinear_matrix(images.shape[2], size, half_pixel)
  return xp.einsum("oh,bhwc,pw->bopc", rows, images, columns)


def clean_resize(images: np.ndarray, size: int = SIZE) -> np.ndarray:
  """clean-fid's resizer on the host: [B, H, W, C] in [0, 1] -> float32 [B, size, size, C] on
  0..255."""
  quantised = np.clip(np.round(np.asarray(images, np.float64) * 255), 0, 255).astype(np.uint8)
  out = np.empty((len(images), size, size, images.shape[-1]), np.float32)
  for b, image in enumerate(quantised):
    for c in range(image.shape[-1]):
      channel = Image.fromarray(image[..., c].astype(np.float32), mode="F")
      out[b, ..., c] = np.asarray(channel.resize((size, size), resample=Image.BICUBIC))
  return np.clip(out, 0, 255)


def to_network_input(images, mode: str, xp=np):
  """[B, H, W, C in {1, 3}] in [0, 1] -> [B, 299, 299, 3] as the FID Inception takes it.

  ``clean`` needs host arrays (PIL); the other modes trace under jit with ``xp=jax.numpy``.
  Grey images are repeated to 3 channels after resizing."""
  check_mode(mode)
  if mode == "clean":
    scaled = (clean_resize(np.asarray(images)) - 128.0) / 128.0
  elif mode == "legacy_tf":
    scaled = (bilinear(images * 255.0, SIZE, half_pixel=False, xp=xp) - 128.0) / 128.0
  else:
    scaled = bilinear(images, SIZE, half_pixel=True, xp=xp) * 2.0 - 1.0
  return xp.broadcast_to(scaled, (*scaled.shape[:3], 3))
