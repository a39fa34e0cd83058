"""Equalised learning rate layers and the pieces around them of Karras et al.'s GANs (ProGAN,
StyleGAN2).

Equalised learning rate (Karras et al. 2018, Sec. 4.1): a weight is stored N(0, 1 /
lr_multiplier^2) and multiplied at run time by ``lr_multiplier / sqrt(fan_in)`` (He's constant),
a bias stored ``/ lr_multiplier`` and used ``* lr_multiplier``. Adam's steps are about the same
size for every stored parameter, so every layer's effective weights move by the same fraction of
their scale. He's gain sqrt(2) sits in ``activation`` (StyleGAN's placement) rather than in the
weights (ProGAN's): for a positively homogeneous leaky ReLU the two differ only in the bias's
scale.
"""

import math

import flax.linen as nn
import jax
import jax.numpy as jnp
from jax import lax

from jaxgen.nn.conv import im2col_conv, same_padding, use_im2col

LEAK = 0.2
ACTIVATION_GAIN = math.sqrt(2.0)  # keeps a leaky ReLU layer's output at unit second moment


def activation(x: jax.Array) -> jax.Array:
  """Leaky ReLU (0.2) with StyleGAN's gain sqrt(2)."""
  return nn.leaky_relu(x, LEAK) * ACTIVATION_GAIN


def pixel_norm(x: jax.Array) -> jax.Array:
  """x: [..., C] scaled to unit mean square over its last axis (Karras et al. 2018, Sec. 4.2):
  per example for a latent [B, D], per pixel for feature maps [B, H, W, C]."""
  return x * lax.rsqrt(jnp.mean(jnp.square(x), axis=-1, keepdims=True) + 1e-8)


def upsample_2x(x: jax.Array, method: str = "bilinear") -> jax.Array:
  """x: [B, H, W, C] -> [B, 2H, 2W, C]: ``"bilinear"`` (StyleGAN's) or ``"nearest"`` (ProGAN's:
  each pixel a 2x2 block)."""
  b, h, w, c = x.shape
  return jax.image.resize(x, (b, 2 * h, 2 * w, c), method)


def downsample_2x(x: jax.Array) -> jax.Array:
  """x: [B, H, W, C] -> [B, H/2, W/2, C], the mean of each 2x2 block."""
  b, h, w, c = x.shape
  return jnp.mean(x.reshape(b, h // 2, 2, w // 2, 2, c), axis=(2, 4))


def conv2d(x: jax.Array, kernel: jax.Array, impl: str) -> jax.Array:
  """x: [B, H, W, C], kernel: [k, k, C, F] -> [B, H, W, F]: stride 1, "SAME" padding, as im2col
  on the CPU (``impl``: ``jaxgen.nn.conv.IMPLS``)."""
  k = kernel.shape[0]
  padding = [same_padding(x.shape[1], k, 1), same_padding(x.shape[2], k, 1)]
  if use_im2col(impl):
    return im2col_conv(x, kernel, 1, padding)
  return lax.conv_general_dilated(x, kernel, (1, 1), padding,
                                  dimension_numbers=("NHWC", "HWIO", "NHWC"))


def minibatch_stddev(x: jax.Array, group_size: int, num_channels: int = 1) -> jax.Array:
  """x: [N, H, W, C] -> [N, H, W, C + num_channels] (Karras et al. 2018, Sec. 3; StyleGAN2's).

  The batch splits into groups of ``group_size`` strided examples (example i is in group
  i mod N / group_size, as the reference's reshape); the channels into ``num_channels`` parts.
  Each group's standard deviation over its examples, per pixel and channel, averaged over the
  pixels and the part's channels, is appended as a constant feature map to every example of the
  group. N must be a multiple of ``group_size``.
  """
  n, h, w, c = x.shape
  groups = x.reshape(group_size, n // group_size, h, w, num_channels, c // num_channels)
  deviation = jnp.sqrt(jnp.var(groups, axis=0) + 1e-8)  # [N / G, H, W, F, C / F]
  features = jnp.mean(deviation, axis=(1, 2, 4))  # [N / G, F]
  features = jnp.tile(features, (group_size, 1))  # [N, F]
  return jnp.concatenate(
      [x, jnp.broadcast_to(features[:, None, None, :], (n, h, w, num_channels))], axis=-1)


class EqualDense(nn.Module):
  """x: [..., D] -> [..., features]: a dense layer with equalised learning rate.

  Effective weights ``kernel * lr_multiplier / sqrt(D)`` and bias ``bias * lr_multiplier``, the
  parameters initialised N(0, 1 / lr_multiplier^2) and ``bias_init / lr_multiplier``.
  """
  features: int
  lr_multiplier: float = 1.0
  bias_init: float = 0.0

  @nn.compact
  def __call__(self, x: jax.Array) -> jax.Array:
    scale = self.lr_multiplier
    kernel = self.param("kernel", nn.initializers.normal(1.0 / scale),
                        (x.shape[-1], self.features))
    bias = self.param("bias", nn.initializers.constant(self.bias_init / scale), (self.features,))
    return x @ (kernel * (scale / math.sqrt(x.shape[-1]))) + bias * scale


class EqualConv2D(nn.Module):
  """x: [B, H, W, C] -> [B, H, W, features]: a stride-1 k x k convolution with equalised learning
  rate, kernel [k, k, C, features] scaled by 1 / sqrt(k k C)."""
  features: int
  kernel_size: int
  use_bias: bool = True
  conv: str = "auto"  # jaxgen.nn.conv.IMPLS

  @nn.compact
  def __call__(self, x: jax.Array) -> jax.Array:
    k = self.kernel_size
    kernel = self.param("kernel", nn.initializers.normal(1.0), (k, k, x.shape[-1], self.features))
    y = conv2d(x, kernel / math.sqrt(k * k * x.shape[-1]), self.conv)
    if self.use_bias:
      y = y + self.param("bias", nn.initializers.zeros, (self.features,))
    return y
