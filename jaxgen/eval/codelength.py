"""Codelengths of images under a general-purpose lossless codec: the complexity term of Serra et
al. 2020 ("Input complexity and out-of-distribution detection with likelihood-based generative
models"), whose anomaly score is a model's codelength minus the codec's, -log2 p(x) - L(x).

PNG here (Pillow, ``optimize=True``): every image its own file, headers included, as
``scripts/codec_bits_per_dim.py`` measures it for the whole test split.
"""

import io

import numpy as np
from PIL import Image


def png_bytes(image: np.ndarray) -> int:
  """image: uint8 [H, W] or [H, W, 3] -> the size of its optimized PNG file in bytes."""
  buffer = io.BytesIO()
  Image.fromarray(image).save(buffer, format="PNG", optimize=True)
  return buffer.tell()


def png_bits(images: np.ndarray) -> np.ndarray:
  """images: uint8 [N, H, W, C], C = 1 or 3 -> float64 [N], each image's PNG codelength in bits."""
  images = np.asarray(images)
  if images.dtype != np.uint8 or images.ndim != 4 or images.shape[-1] not in (1, 3):
    raise ValueError(f"expected uint8 images [N, H, W, C] with C = 1 or 3, got {images.dtype} "
                     f"{list(images.shape)}")
  grey = images.shape[-1] == 1
  return np.array([8.0 * png_bytes(image[..., 0] if grey else image) for image in images])
