"""PNG codelengths of images: lossless, per image, in bits."""

import io

import numpy as np
import pytest
from PIL import Image

from jaxgen.eval.codelength import png_bits


def test_png_bits_are_each_images_lossless_file_in_bits():
  rng = np.random.default_rng(0)
  images = np.stack([np.zeros((28, 28, 1), np.uint8),  # flat: compresses to almost nothing
                     rng.integers(0, 256, (28, 28, 1), dtype=np.uint8)])  # noise: ~8 bits/pixel
  bits = png_bits(images)
  assert bits.shape == (2,) and bits[0] < 0.1 * bits[1]
  assert 28 * 28 * 8 < bits[1] < 28 * 28 * 8 * 1.2
  buffer = io.BytesIO()
  Image.fromarray(images[1, ..., 0]).save(buffer, format="PNG", optimize=True)
  assert bits[1] == 8 * len(buffer.getvalue())
  np.testing.assert_array_equal(np.asarray(Image.open(buffer)), images[1, ..., 0])  # lossless
  colour = rng.integers(0, 256, (1, 8, 8, 3), dtype=np.uint8)
  assert png_bits(colour).shape == (1,)


def test_png_bits_take_uint8_images_only():
  with pytest.raises(ValueError, match="expected uint8 images"):
    png_bits(np.zeros((2, 8, 8, 1), np.float32))
