"""The square power-of-two canvas of the growing / style-based GANs (ProGAN, StyleGAN2): its
size, padding images onto it and cropping them back, its resolutions 4, 8, ..., and the feature
maps at each.

Images are padded with the data's background (its range's low end) to the next power of two, at
least 8 (28x28 Fashion-MNIST -> 32x32), and samples cropped back, so the sample metrics see the
data's shape.
"""

import math

import jax
import jax.numpy as jnp


def canvas_size(shape) -> int:
  """The side of the square canvas for images of ``shape`` [H, W, C]: the next power of two
  >= max(H, W), at least 8."""
  return max(8, 2 ** math.ceil(math.log2(max(shape[:2]))))


def pad_to_canvas(images: jax.Array, size: int, value: float) -> jax.Array:
  """[B, H, W, C] -> [B, size, size, C], centred (an odd margin's extra pixel below / right), the
  margin filled with ``value``."""
  _, h, w, _ = images.shape
  top, left = (size - h) // 2, (size - w) // 2
  return jnp.pad(images, [(0, 0), (top, size - h - top), (left, size - w - left), (0, 0)],
                 constant_values=value)


def crop_from_canvas(images: jax.Array, shape) -> jax.Array:
  """[B, size, size, C] -> [B, H, W, C]: the region that ``pad_to_canvas`` filled."""
  h, w = shape[:2]
  top, left = (images.shape[1] - h) // 2, (images.shape[2] - w) // 2
  return images[:, top:top + h, left:left + w]


def resolutions(resolution: int) -> list[int]:
  """4, 8, ..., ``resolution`` (a power of two >= 4)."""
  return [2 ** i for i in range(2, int(math.log2(resolution)) + 1)]


def channels_at(resolution: int, channel_base: int, channel_max: int) -> int:
  """Feature maps at ``resolution``: ``channel_base / resolution``, at most ``channel_max``."""
  return max(1, min(channel_base // resolution, channel_max))
