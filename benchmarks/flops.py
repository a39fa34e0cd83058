"""Model FLOPs per training step and model FLOPs utilisation (MFU).

- ``compiled_flops``: the FLOPs XLA's cost analysis counts in a jitted function's compiled HLO
  (every instruction: convolutions, dots, and the elementwise work around them).
- ``unet_train_flops``: an independent, analytic count of the DDPM U-Net's training step: the
  multiply-adds of its convolutions, dense layers and attention products (2 FLOPs each), forward
  and backward. Backward costs twice the forward for every layer (the input gradient and the
  weight gradient, each a product of the forward's size), except that nothing needs the gradient
  with respect to the network's input x_t: 3 F - F(first conv). Normalisation, activations and
  the optimizer are left out, as in MFU's usual "model FLOPs" (Chowdhery et al. 2022, App. B).
- ``matmul_peak``: the FLOP/s of a large square matmul on this device, the denominator of MFU
  (measured, not the datasheet's: bf16 on a GPU, float32 on a CPU, which has no faster type).
- ``mfu``: achieved model FLOP/s over that peak.
"""

import time
from typing import Callable, Sequence

import jax
import jax.numpy as jnp

from jaxgen.nn import conv


def compiled_flops(function: Callable, *args) -> float:
  """FLOPs of one call of ``jax.jit(function)(*args)`` by XLA's cost analysis of the compiled
  executable (a jitted function is taken as it is)."""
  jitted = function if hasattr(function, "lower") else jax.jit(function)
  analysis = jitted.lower(*args).compile().cost_analysis()
  if isinstance(analysis, (list, tuple)):  # older jaxlibs: one dict per computation
    analysis = analysis[0]
  return float(analysis["flops"])


def taps(size: int, kernel: int = 3, stride: int = 1, padding_taps: bool = True) -> int:
  """Kernel taps summed over the output positions of a 'SAME' convolution along one axis of
  ``size`` inputs: ``out * kernel``, or without ``padding_taps`` only those that land on the
  image (XLA's cost analysis counts those: the zero padding is never multiplied)."""
  out = -(-size // stride)
  if padding_taps:
    return out * kernel
  low, _ = conv.same_padding(size, kernel, stride)
  return sum(1 for i in range(out) for j in range(kernel) if 0 <= i * stride + j - low < size)


def conv_flops(batch: int, size: int, in_ch: int, out_ch: int, kernel: int = 3, stride: int = 1,
               padding_taps: bool = True) -> int:
  """Forward FLOPs of a 'SAME' k x k convolution of [batch, size, size, in_ch] to out_ch."""
  return 2 * batch * taps(size, kernel, stride, padding_taps) ** 2 * in_ch * out_ch


def dense_flops(rows: int, in_features: int, out_features: int) -> int:
  return 2 * rows * in_features * out_features


def unet_forward_flops(batch: int, size: int, in_ch: int, out_ch: int, ch: int,
                       ch_mult: Sequence[int], num_res_blocks: int,
                       attn_resolutions: Sequence[int], padding_taps: bool = True) -> tuple[int, int]:
  """-> (forward FLOPs of jaxgen's ``UNet`` on [batch, size, size, in_ch], those of its first
  convolution). Walks ``jaxgen/nn/unet.py``'s layers in the same order;
  ``padding_taps``: count the taps on the convolutions' zero padding (``taps``)."""
  conv = lambda h, c_in, c_out, stride=1: conv_flops(batch, h, c_in, c_out, 3, stride, padding_taps)
  temb = 4 * ch
  total = dense_flops(batch, ch, temb) + dense_flops(batch, temb, temb)  # the time embedding

  def resnet(h: int, c_in: int, c_out: int) -> int:
    flops = conv(h, c_in, c_out) + dense_flops(batch, temb, c_out) + conv(h, c_out, c_out)
    if c_in != c_out:
      flops += dense_flops(batch * h * h, c_in, c_out)  # the 1x1 "nin" shortcut
    return flops

  def attention(h: int, c: int) -> int:
    n = h * h
    return 4 * dense_flops(batch * n, c, c) + 2 * (2 * batch * n * n * c)  # q, k, v, out; qk, wv

  first = conv(size, in_ch, ch)
  total += first
  resolution, skips = size, [ch]
  for level, mult in enumerate(ch_mult):
    for _ in range(num_res_blocks):
      total += resnet(resolution, skips[-1], ch * mult)
      if resolution in attn_resolutions:
        total += attention(resolution, ch * mult)
      skips.append(ch * mult)
    if level != len(ch_mult) - 1:
      total += conv(resolution, skips[-1], skips[-1], stride=2)
      resolution //= 2
      skips.append(skips[-1])
  c = skips[-1]
  total += resnet(resolution, c, c) + attention(resolution, c) + resnet(resolution, c, c)
  for level, mult in reversed(list(enumerate(ch_mult))):
    for _ in range(num_res_blocks + 1):
      total += resnet(resolution, c + skips.pop(), ch * mult)
      c = ch * mult
      if resolution in attn_resolutions:
        total += attention(resolution, c)
    if level != 0:
      resolution *= 2
      total += conv(resolution, c, c)
  total += conv(resolution, c, out_ch)
  return total, first


def unet_train_flops(batch: int, size: int, in_ch: int, out_ch: int, ch: int,
                     ch_mult: Sequence[int], num_res_blocks: int,
                     attn_resolutions: Sequence[int], padding_taps: bool = True) -> int:
  """Analytic model FLOPs of one training step: ``3 F - F(first conv)`` (module docstring)."""
  forward, first = unet_forward_flops(batch, size, in_ch, out_ch, ch, ch_mult, num_res_blocks,
                                      attn_resolutions, padding_taps)
  return 3 * forward - first


def matmul_peak(dtype=None, size: int = 0, repeats: int = 10) -> dict:
  """Best FLOP/s of a [size, size] @ [size, size] matmul over ``repeats`` synchronised runs.

  Defaults: bfloat16 at 8192 on an accelerator, float32 at 2048 on a CPU.
  -> {"flops_per_s", "dtype", "size", "device"}.
  """
  cpu = jax.default_backend() == "cpu"
  dtype = dtype or (jnp.float32 if cpu else jnp.bfloat16)
  size = size or (2048 if cpu else 8192)
  keys = jax.random.split(jax.random.PRNGKey(0))
  a, b = (jax.random.normal(k, (size, size), jnp.float32).astype(dtype) for k in keys)
  matmul = jax.jit(jnp.matmul)
  jax.block_until_ready(matmul(a, b))
  best = float("inf")
  for _ in range(repeats):
    start = time.perf_counter()
    jax.block_until_ready(matmul(a, b))
    best = min(best, time.perf_counter() - start)
  return {"flops_per_s": 2.0 * size ** 3 / best, "dtype": jnp.dtype(dtype).name, "size": size,
          "device": jax.devices()[0].device_kind}


def mfu(flops_per_step: float, step_seconds: float, peak_flops_per_s: float) -> float:
  """Model FLOPs utilisation: achieved FLOP/s of the step over the device's peak."""
  return flops_per_step / step_seconds / peak_flops_per_s
