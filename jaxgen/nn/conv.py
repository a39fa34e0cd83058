"""Convolutions written as im2col + one matmul where XLA:CPU's own are slow.

Three cases found by the benchmarks (benchmarks/README.md, "Ratios above 1.0") and by training:

- DCGAN's 5x5 kernels are larger than its small feature maps (4x4 and 2x2 at 8x8 digits).
  XLA:CPU sends such convolutions to a generic kernel that runs at ~0.3 GMAC/s: the 8x8 DCGAN
  step took 9x PyTorch's.
- Glow's coupling networks run inside the ``lax.scan`` of a scale's repeated steps, and XLA:CPU
  runs convolution gradients inside a loop 20-30x slower than outside one (3x3 64->64, 8 layers:
  2,156 ms in a scan, 90 ms unrolled, 108 ms as im2col in the same scan).
- The stride-2 encoders and decoders of the convolutional autoencoder and VAE (``nn/encoders.py``)
  on 28x28 Fashion-MNIST: a training step of batch 128 took 1,607 ms with XLA:CPU's
  convolutions and 670 ms as im2col, measured side by side on a loaded 2-core machine.

Written as im2col -- ``kh * kw`` strided slices of the padded input stacked into patches, then
one matmul with the kernel -- such a layer runs many times faster forward and backward, and the
gradient is slices and a matmul too.

Both modules keep ``flax.linen.Conv`` / ``ConvTranspose``'s parameters (``kernel: [kh, kw, C_in,
C_out]``, ``bias: [C_out]``), padding ("SAME") and outputs, so ``impl="xla"`` (lax's convolution,
the better choice on GPU/TPU, where cuDNN/XLA handle small maps well) and ``impl="im2col"`` are
interchangeable; ``impl="auto"`` picks im2col on the CPU backend and lax's convolution elsewhere.
tests/test_nn_conv.py checks both against flax's modules.
"""

from typing import Callable, Sequence

import flax.linen as nn
import jax
import jax.numpy as jnp
from jax import lax

IMPLS = ("auto", "im2col", "xla")


def use_im2col(impl: str) -> bool:
  return impl == "im2col" or (impl == "auto" and jax.default_backend() == "cpu")


def same_padding(size: int, kernel: int, stride: int) -> tuple[int, int]:
  """lax's "SAME" padding of a strided convolution: output ceil(size / stride)."""
  out = -(-size // stride)
  total = max((out - 1) * stride + kernel - size, 0)
  return total // 2, total - total // 2


def transpose_same_padding(kernel: int, stride: int) -> tuple[int, int]:
  """lax.conv_transpose's "SAME" padding of the stride-dilated input: output size * stride."""
  total = kernel + stride - 2
  low = kernel - 1 if stride > kernel - 1 else -(-total // 2)
  return low, total - low


def im2col_conv(x: jax.Array, kernel: jax.Array, stride: int,
                padding: Sequence[tuple[int, int]]) -> jax.Array:
  """x: [B, H, W, C], kernel: [kh, kw, C, F] -> [B, H', W', F], as lax.conv_general_dilated
  with ``window_strides=(stride, stride)`` and ``padding``.

  The input is padded by one ``lax.pad``; patch ``(i, j)`` of every output pixel is one strided
  slice; the ``kh * kw`` slices stack into ``[B, H', W', kh * kw * C]`` and meet
  ``kernel.reshape(kh * kw * C, F)`` in one matmul.
  """
  kh, kw, c, f = kernel.shape
  (top, bottom), (left, right) = padding
  padded = jnp.pad(x, [(0, 0), (top, bottom), (left, right), (0, 0)])
  out_h = (padded.shape[1] - kh) // stride + 1
  out_w = (padded.shape[2] - kw) // stride + 1
  patches = [padded[:, i:i + stride * (out_h - 1) + 1:stride, j:j + stride * (out_w - 1) + 1:stride]
             for i in range(kh) for j in range(kw)]
  patches = jnp.stack(patches, axis=3).reshape(x.shape[0], out_h, out_w, kh * kw * c)
  return patches @ kernel.reshape(kh * kw * c, f)


def col2im_conv_transpose(x: jax.Array, kernel: jax.Array, stride: int,
                          padding: tuple[int, int]) -> jax.Array:
  """x: [B, H, W, C], kernel: [kh, kw, C, F] -> [B, H * s, W * s, F], as a stride-1 convolution
  over x dilated by s with ``padding`` (lax.conv_transpose, kernel not flipped), without computing
  on the dilation's zeros.

  One matmul gives every input pixel's contribution through every kernel tap,
  ``[B, H, W, kh, kw, F]``; tap (i, j) lands ``s`` pixels apart from offset (kh - 1 - i,
  kw - 1 - j) of a canvas of ``s (H - 1) + kh`` rows (col2im: the adjoint of im2col's slices).
  Canvas row ``s u + r`` is row u of phase r: the taps whose offset ``a = kh - 1 - i`` has
  ``a % s == r`` add into phase r shifted by ``(a - r) // s`` rows, and likewise for columns. So
  each tap is added once into an undilated ``[B, U, V, F]`` phase plane (U = ceil(canvas rows /
  s)), the s x s phases interleave into the canvas by one reshape, and the output is the canvas
  cropped by ``kh - 1 - padding_low``: no add ever touches the dilation's zeros.
  """
  kh, kw, c, f = kernel.shape
  b, h, w, _ = x.shape
  s = stride
  # One split into the kh * kw taps [B, H, W, F]: its gradient is one concatenation, where
  # indexing each tap would pad every tap's gradient back to the whole array.
  taps = jnp.split((x @ kernel.transpose(2, 0, 1, 3).reshape(c, kh * kw * f)).reshape(
      b, h, w, kh * kw, f), kh * kw, axis=3)
  zero = jnp.zeros((), x.dtype)
  rows_u, cols_v = -(-(s * (h - 1) + kh) // s), -(-(s * (w - 1) + kw) // s)

  def phase(r: int, q: int) -> jax.Array:
    plane = jnp.zeros((b, rows_u, cols_v, f), x.dtype)
    for i in range(kh):
      a = kh - 1 - i
      for j in range(kw):
        d = kw - 1 - j
        if a % s == r and d % s == q:
          m, n = (a - r) // s, (d - q) // s
          plane = plane + lax.pad(taps[i * kw + j][:, :, :, 0], zero, [
              (0, 0, 0), (m, rows_u - h - m, 0), (n, cols_v - w - n, 0), (0, 0, 0)])
    return plane

  # [B, U, s, V, s, F] -> canvas [B, U s, V s, F]: row s u + r of the canvas is row u of phase r.
  canvas = jnp.stack([jnp.stack([phase(r, q) for q in range(s)], axis=3) for r in range(s)],
                     axis=2).reshape(b, rows_u * s, cols_v * s, f)
  low = padding[0]
  rows = [kh - 1 - low, h * s - (canvas.shape[1] - (kh - 1 - low))]
  cols = [kw - 1 - low, w * s - (canvas.shape[2] - (kw - 1 - low))]
  return lax.pad(canvas, zero, [(0, 0, 0), (-rows[0], rows[1], 0), (-cols[0], cols[1], 0),
                                (0, 0, 0)])


class Conv2D(nn.Module):
  """x: [B, H, W, C] -> [B, ceil(H / s), ceil(W / s), features]: flax's ``nn.Conv(features,
  (k, k), strides=(s, s), padding="SAME")``; with ``transpose``, [B, H * s, W * s, features]:
  flax's ``nn.ConvTranspose`` with the same arguments (a stride-1 convolution over the input
  dilated by s, the kernel not flipped)."""
  features: int
  kernel_size: int
  stride: int = 1
  use_bias: bool = True
  impl: str = "auto"
  transpose: bool = False
  kernel_init: Callable = nn.initializers.lecun_normal()  # flax's default

  @nn.compact
  def __call__(self, x: jax.Array) -> jax.Array:
    k, s = self.kernel_size, self.stride
    kernel = self.param("kernel", self.kernel_init, (k, k, x.shape[-1], self.features))
    if self.transpose:
      padding = [transpose_same_padding(k, s)] * 2
      strides, dilation = (1, 1), (s, s)
    else:
      padding = [same_padding(x.shape[1], k, s), same_padding(x.shape[2], k, s)]
      strides, dilation = (s, s), (1, 1)
    if not use_im2col(self.impl):
      y = lax.conv_general_dilated(x, kernel, strides, padding, lhs_dilation=dilation,
                                   dimension_numbers=("NHWC", "HWIO", "NHWC"))
    elif self.transpose:
      y = col2im_conv_transpose(x, kernel, s, padding[0])
    else:
      y = im2col_conv(x, kernel, s, padding)
    if self.use_bias:
      y = y + self.param("bias", nn.initializers.zeros, (self.features,))
    return y


class ConvTranspose2D(Conv2D):
  """flax's ``nn.ConvTranspose(features, (k, k), strides=(s, s), padding="SAME")``: Conv2D with
  ``transpose``, stride 2 by default."""
  stride: int = 2
  transpose: bool = True


class Conv(Conv2D):
  """Conv2D under flax's name, so a model that swaps ``nn.Conv`` for it keeps its parameter
  names (``Conv_0``, ...) and its checkpoints still load."""


class ConvTranspose(ConvTranspose2D):
  """ConvTranspose2D under flax's name (``ConvTranspose_0``, ...), as ``Conv``."""
