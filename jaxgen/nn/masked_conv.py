"""Masked convolutions (van den Oord et al. 2016, "Pixel Recurrent Neural Networks", Section 3.4),
the layers of autoregressive convolutional networks: the PixelCNN family's networks and the
VQ-VAE's prior over its code maps share them (``gated_pixelcnn.py``).

A convolution is causal when its output at pixel (i, j) reads only what the raster order allows.
``MaskedConv`` places its kernel by an *anchor*: the kernel position that lies over the output
pixel. Kernel positions after the anchor in raster order are zeroed; at the anchor itself the
channel groups decide (mask type A: strictly earlier groups, for the first layer, which reads the
image; type B: earlier or the same group, for every later layer). The anchor may sit one row below
the kernel (a down-shifted convolution: every row read lies strictly above the output's), which is
how the Gated PixelCNN's vertical stack avoids the blind spot.

Channel groups (colour): feature f belongs to group ``f % channels``, so R -> G -> B holds inside a
pixel (Section 3.4's masks) and a head's ``[..., K * C]`` outputs reshape to ``[..., K, C]`` with the
data channel last. A layer's width must then be a multiple of ``channels``.

Every convolution is a VALID convolution of a causally padded input. Full forward passes pad the
whole map; a fast sampler keeps each layer's padded input as a cache, writes new values into it
with ``write`` and evaluates only the new pixels with ``region``.

The pieces every such network is built of live here too: ``pointwise`` (a 1x1 convolution that
keeps the channel order), ``class_bias`` (a label's bias), ``with_ones`` (the border channel),
``output_layers`` and ``down_shift`` (the PixelRNNs' and PixelCNN++'s causal row shift).
"""

import functools
from typing import Optional, Sequence

import flax.linen as nn
import jax
import jax.numpy as jnp
import numpy as np

from jaxgen.nn import conv

MASK_TYPES = (None, "A", "B")


def channel_groups(num_features: int, channels: int) -> np.ndarray:
  """The data channel (R, G, B, ...) each of ``num_features`` features belongs to: [F] int."""
  return np.arange(num_features) % channels


def channel_mask(in_features: int, out_features: int, channels: int, mask_type: str) -> np.ndarray:
  """[in, out] bool: may output feature o read input feature i at the same pixel?

  Type A: group(i) < group(o) (a channel never sees itself); type B: group(i) <= group(o).
  """
  group_in = channel_groups(in_features, channels)[:, None]
  group_out = channel_groups(out_features, channels)[None, :]
  return group_in < group_out if mask_type == "A" else group_in <= group_out


@functools.lru_cache(maxsize=None)
def kernel_mask(kernel_size: Sequence[int], anchor: Sequence[int], in_features: int,
                out_features: int, channels: int, mask_type: Optional[str]) -> np.ndarray:
  """[kh, kw, in, out] float32: 1 where the kernel may read, 0 where the raster order forbids it.
  Cached, read-only: a layer's trace (each sampling step's too) reuses its mask."""
  mask = _kernel_mask(kernel_size, anchor, in_features, out_features, channels, mask_type)
  mask.flags.writeable = False
  return mask


def _kernel_mask(kernel_size, anchor, in_features, out_features, channels, mask_type):
  kh, kw = kernel_size
  mask = np.ones((kh, kw, in_features, out_features), np.float32)
  if mask_type is None:
    return mask
  anchor_row, anchor_col = anchor
  for row in range(kh):
    for col in range(kw):
      if (row, col) == (anchor_row, anchor_col):
        mask[row, col] = channel_mask(in_features, out_features, channels, mask_type)
      elif row > anchor_row or (row == anchor_row and col > anchor_col):
        mask[row, col] = 0.0
  return mask


class MaskedConv(nn.Module):
  """A causal convolution: x [B, H, W, Cin] -> [B, H, W, features].

  ``anchor = (r, c)``: the kernel cell over the output pixel; r may equal ``kernel_size[0]`` (one
  row below the kernel: the down-shift). The padding is (r above, kh - 1 - r below, c left,
  kw - 1 - c right), so the output has the input's size.
  """
  features: int
  kernel_size: tuple[int, int]
  anchor: tuple[int, int]
  mask_type: Optional[str] = None  # None (no mask: e.g. a down-shifted vertical stack), "A", "B"
  channels: int = 1  # data channels whose order the masks keep (1: no within-pixel order)
  # "xla": lax's convolution; "im2col" / "auto" as ``jaxgen/nn/conv.py``: XLA:CPU runs lax's
  # convolutions 10-20x slower inside a lax.cond or a loop, where im2col's matmul is not slowed.
  impl: str = "xla"

  @nn.compact
  def __call__(self, padded: jax.Array) -> jax.Array:
    """padded: the causally padded input [B, h + kh - 1, w + kw - 1, Cin] -> [B, h, w, features]."""
    kh, kw = self.kernel_size
    in_features = padded.shape[-1]
    kernel = self.param("kernel", nn.initializers.lecun_normal(), (kh, kw, in_features, self.features))
    bias = self.param("bias", nn.initializers.zeros, (self.features,))
    mask = kernel_mask(self.kernel_size, self.anchor, in_features, self.features, self.channels,
                       self.mask_type)
    if conv.use_im2col(self.impl):
      return conv.im2col_conv(padded, kernel * mask, 1, ((0, 0), (0, 0))) + bias
    out = jax.lax.conv_general_dilated(padded, kernel * mask, (1, 1), "VALID",
                                       dimension_numbers=("NHWC", "HWIO", "NHWC"))
    return out + bias

  def pad(self, x: jax.Array) -> jax.Array:
    """x: [B, H, W, C] -> the padded map [B, H + kh - 1, W + kw - 1, C]; a bottom padding of -1 (the
    down-shift) drops the last row, which no output reads."""
    (top, bottom), (left, right) = self.padding()
    return jax.lax.pad(x, jnp.zeros((), x.dtype), ((0, 0, 0), (top, bottom, 0), (left, right, 0),
                                                   (0, 0, 0)))

  def padding(self) -> tuple[tuple[int, int], tuple[int, int]]:
    kh, kw = self.kernel_size
    row, col = self.anchor
    return (row, kh - 1 - row), (col, kw - 1 - col)

  def full(self, x: jax.Array) -> tuple[jax.Array, jax.Array]:
    """x: [B, H, W, Cin] -> (output [B, H, W, features], the padded input: this layer's cache)."""
    padded = self.pad(x)
    return self(padded), padded

  def cache_shape(self, batch: int, height: int, width: int, in_features: int) -> tuple:
    """The shape of the padded input kept as a cache; room for every input row, also with the
    down-shift (whose last input row is written but never read)."""
    (top, bottom), (left, right) = self.padding()
    return (batch, top + height + max(bottom, 0), left + width + right, in_features)

  def write(self, cache: jax.Array, x: jax.Array, row, col) -> jax.Array:
    """Stores inputs x: [B, h, w, Cin] at image position (row, col) in the padded cache."""
    (top, _), (left, _) = self.padding()
    return jax.lax.dynamic_update_slice(cache, x.astype(cache.dtype), (0, row + top, col + left, 0))

  def region(self, cache: jax.Array, row, col, height: int, width: int) -> jax.Array:
    """The outputs at image rows [row, row + height) and columns [col, col + width) from the padded
    input: [B, height, width, features]. Only the kernel windows of those outputs are read."""
    kh, kw = self.kernel_size
    window = jax.lax.dynamic_slice(cache, (0, row, col, 0),
                                   (cache.shape[0], height + kh - 1, width + kw - 1, cache.shape[3]))
    return self(window)


def pointwise(features: int, channels: int, impl: str = "xla") -> MaskedConv:
  """A 1x1 convolution that keeps the channel order inside the pixel (mask B)."""
  return MaskedConv(features, (1, 1), (0, 0), "B", channels, impl)


def class_bias(embed: Optional[nn.Module], labels: Optional[jax.Array]):
  """A label's learned bias, added at every pixel: ``V^T h`` of the Gated PixelCNN's eq. 4 with h
  the one-hot label, [B, 1, 1, F] (0 when unconditional)."""
  if embed is None:
    return 0.0
  return embed(labels)[:, None, None, :]


def with_ones(x: jax.Array) -> jax.Array:
  """x: [B, H, W, C] -> [B, H, W, C + 1], a constant channel of ones appended (PixelCNN++'s trick):
  the zero padding then differs from zero-valued pixels, so the network knows where the image's
  borders are. It is no data, so it does not matter which outputs read it."""
  return jnp.concatenate([x, jnp.ones((*x.shape[:-1], 1), x.dtype)], axis=-1)


def output_layers(x: jax.Array, hidden: nn.Module, final: nn.Module) -> jax.Array:
  """ReLU -> 1x1 -> ReLU -> 1x1 to the head's parameters (PixelRNN paper, Figure 5's output)."""
  return final(nn.relu(hidden(nn.relu(x))))


def down_shift(x: jax.Array) -> jax.Array:
  """Row i takes row i - 1 (row 0 zeros): [B, H, W, F]."""
  return jnp.pad(x, ((0, 0), (1, 0), (0, 0), (0, 0)))[:, :-1]
