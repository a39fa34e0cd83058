"""StyleGAN2's networks (Karras et al. 2020, "Analyzing and Improving the Image Quality of
StyleGAN"; the style-based generator of Karras et al. 2019) at small resolutions.

Equalised learning rate throughout (``jaxgen.nn.equalized``): every layer's effective weights
move by about the same fraction of their scale per Adam step, and by ``lr_multiplier`` times that
in the mapping network (0.01).

Generator = mapping network f: z -> w, then synthesis network g: ws -> image. ``ws`` holds one w
per layer input, [B, num_ws, w_dim] (``num_ws(resolution)``): one w broadcast, or two with style
mixing. g starts from a learned 4x4 constant; each resolution 8, 16, ... doubles it (bilinear
upsampling, the [1, 3, 3, 1] filter of the paper's upfirdn2d with edges replicated) into two
modulated 3x3 convolutions with per-pixel noise, bias and leaky ReLU. The skip architecture
(2020 paper, Fig. 7b): each resolution's 1x1 toRGB output is added to the upsampled sum of the
lower resolutions'. Layer i of ``ws``: the 4x4 convolution w_0, its toRGB w_1; resolution 2^r's
convolutions w_{2r-5}, w_{2r-4} and its toRGB w_{2r-3}, shared with the next convolution, as the
reference implementation counts them.

Discriminator: the residual architecture (2020 paper, Fig. 7c): fromRGB (1x1), then per
resolution a block of two 3x3 convolutions around a 2x2 average pooling, plus a pooled 1x1
skip, the sum scaled by 1/sqrt(2); at 4x4 the minibatch standard deviation (Karras et al. 2018,
Sec. 3), a 3x3 convolution and two dense layers. The reference blurs then convolves with stride
2; pooling then convolving at the lower resolution costs the same, and every convolution stays a
stride-1 "SAME" one (``conv2d``).
"""

import math

import flax.linen as nn
import jax
import jax.numpy as jnp
import numpy as np
from jax import lax

from jaxgen.nn.canvas import channels_at, resolutions
from jaxgen.nn.equalized import (EqualConv2D, EqualDense, activation, conv2d, downsample_2x,
                                 minibatch_stddev, pixel_norm, upsample_2x)

DEMODULATION_EPS = 1e-8


def num_ws(resolution: int) -> int:
  """Layer inputs of the synthesis network of ``resolution`` (a power of two >= 4): 2 log2 R - 2."""
  return 2 * int(math.log2(resolution)) - 2


class ModulatedConv2D(nn.Module):
  """x: [B, H, W, C], w: [B, w_dim] -> [B, H, W, features], no bias: the 2020 paper's weight
  modulation and demodulation (eq. 1-3).

  Style s = A(w): [B, C], an equalised dense layer whose bias starts at 1. Example b's weights are
  ``w'_ijk = s_bi w_ijk`` (modulation; w the equalised kernel) and, with ``demodulate``,
  ``w''_ijk = w'_ijk / sqrt(sum_ik w'_ijk^2 + eps)`` (input channel i, output j, tap k), so
  outputs keep unit standard deviation for inputs of unit standard deviation. A per-example
  kernel would be B convolutions (a grouped convolution over the batch). Since the weights factor
  into s_bi w_ijk d_bj, the layer scales the input's channels by s, convolves with the one shared
  kernel, and scales the output's channels by d: the same numbers as one batched convolution of
  the batch (the reference's unfused path, the one its training runs), im2col on the CPU.
  """
  features: int
  kernel_size: int
  demodulate: bool = True
  conv: str = "auto"

  @nn.compact
  def __call__(self, x: jax.Array, w: jax.Array) -> jax.Array:
    k, c = self.kernel_size, x.shape[-1]
    styles = EqualDense(c, bias_init=1.0, name="affine")(w)  # [B, C]
    kernel = self.param("kernel", nn.initializers.normal(1.0), (k, k, c, self.features))
    kernel = kernel / math.sqrt(k * k * c)
    y = conv2d(x * styles[:, None, None, :], kernel, self.conv)
    if self.demodulate:
      # sum_{i, k} (s_bi w_ijk)^2 for every example b and output channel j: [B, features].
      power = jnp.square(styles) @ jnp.sum(jnp.square(kernel), axis=(0, 1))
      y = y * lax.rsqrt(power + DEMODULATION_EPS)[:, None, None, :]
    return y


class SynthesisLayer(nn.Module):
  """x: [B, H, W, C], w: [B, w_dim], noise: [B, H', W', 1] -> [B, H', W', features] (H' = 2H with
  ``up``): a modulated 3x3 convolution, the per-pixel noise times a learned per-channel strength
  (StyleGAN's per-feature scaling; starts at 0), bias and leaky ReLU."""
  features: int
  up: bool = False
  conv: str = "auto"

  @nn.compact
  def __call__(self, x: jax.Array, w: jax.Array, noise: jax.Array) -> jax.Array:
    if self.up:
      x = upsample_2x(x)
    y = ModulatedConv2D(self.features, 3, conv=self.conv, name="conv")(x, w)
    y = y + noise * self.param("noise_strength", nn.initializers.zeros, (self.features,))
    return activation(y + self.param("bias", nn.initializers.zeros, (self.features,)))


class ToRGB(nn.Module):
  """x: [B, H, W, C], w: [B, w_dim] -> [B, H, W, channels]: a modulated 1x1 convolution without
  demodulation, plus a bias; linear."""
  channels: int
  conv: str = "auto"

  @nn.compact
  def __call__(self, x: jax.Array, w: jax.Array) -> jax.Array:
    y = ModulatedConv2D(self.channels, 1, demodulate=False, conv=self.conv, name="conv")(x, w)
    return y + self.param("bias", nn.initializers.zeros, (self.channels,))


class SynthesisNetwork(nn.Module):
  """ws: [B, num_ws(resolution), w_dim] -> images [B, resolution, resolution, channels]; the
  convolutions' N(0, 1) noise inputs from the "noise" rng, one draw for all of them (a draw per
  layer costs a random-number program per layer to compile)."""
  resolution: int
  channels: int
  channel_base: int
  channel_max: int
  conv: str = "auto"

  @nn.compact
  def __call__(self, ws: jax.Array) -> jax.Array:
    width = lambda res: channels_at(res, self.channel_base, self.channel_max)
    const = self.param("const", nn.initializers.normal(1.0), (4, 4, width(4)))
    x = jnp.broadcast_to(const, (ws.shape[0], *const.shape))
    # One noise map per convolution: at 4x4, then two at each higher resolution.
    sides = [4] + [res for res in resolutions(self.resolution)[1:] for _ in range(2)]
    sizes = [side * side for side in sides]
    draw = jax.random.normal(self.make_rng("noise"), (ws.shape[0], sum(sizes)))
    noise = [part.reshape(-1, side, side, 1)
             for part, side in zip(jnp.split(draw, np.cumsum(sizes)[:-1], axis=1), sides)]
    x = SynthesisLayer(width(4), conv=self.conv, name="conv_4")(x, ws[:, 0], noise[0])
    image = ToRGB(self.channels, self.conv, name="rgb_4")(x, ws[:, 1])
    index = 1  # of the resolution's first convolution in ws (and in noise)
    for res in resolutions(self.resolution)[1:]:
      x = SynthesisLayer(width(res), up=True, conv=self.conv, name=f"conv0_{res}")(
          x, ws[:, index], noise[index])
      x = SynthesisLayer(width(res), conv=self.conv, name=f"conv1_{res}")(
          x, ws[:, index + 1], noise[index + 1])
      image = upsample_2x(image) + ToRGB(self.channels, self.conv, name=f"rgb_{res}")(
          x, ws[:, index + 2])
      index += 2
    return image


class MappingNetwork(nn.Module):
  """z: [B, z_dim] -> w: [B, w_dim]: pixel norm, then ``num_layers`` equalised dense layers with
  leaky ReLU at ``lr_multiplier`` times the learning rate."""
  w_dim: int
  num_layers: int
  lr_multiplier: float = 0.01

  @nn.compact
  def __call__(self, z: jax.Array) -> jax.Array:
    h = pixel_norm(z)
    for _ in range(self.num_layers):
      h = activation(EqualDense(self.w_dim, self.lr_multiplier)(h))
    return h


class Generator(nn.Module):
  """The mapping and synthesis networks under one set of parameters; ``map`` and ``synthesize``
  apply each (the experiment mixes and truncates the ws between them)."""
  resolution: int
  channels: int
  w_dim: int
  mapping_layers: int
  mapping_lr_multiplier: float
  channel_base: int
  channel_max: int
  conv: str = "auto"

  def setup(self):
    self.mapping = MappingNetwork(self.w_dim, self.mapping_layers, self.mapping_lr_multiplier)
    self.synthesis = SynthesisNetwork(self.resolution, self.channels, self.channel_base,
                                      self.channel_max, self.conv)

  def __call__(self, z: jax.Array) -> jax.Array:
    """z: [B, z_dim] -> images: f(z) at every layer (initialises both networks)."""
    return self.synthesize(jnp.repeat(self.map(z)[:, None], num_ws(self.resolution), axis=1))

  def map(self, z: jax.Array) -> jax.Array:
    """z: [B, z_dim] -> w: [B, w_dim]."""
    return self.mapping(z)

  def synthesize(self, ws: jax.Array) -> jax.Array:
    """ws: [B, num_ws, w_dim] -> images [B, R, R, channels]; noise from the "noise" rng."""
    return self.synthesis(ws)


class DiscriminatorBlock(nn.Module):
  """x: [B, H, W, C] -> [B, H/2, W/2, features]: (skip + residual) / sqrt(2), the skip a 1x1
  convolution (no bias) of the pooled input, the residual a 3x3 convolution at H, pooling, and a
  3x3 convolution at H/2, each with leaky ReLU."""
  features: int
  conv: str = "auto"

  @nn.compact
  def __call__(self, x: jax.Array) -> jax.Array:
    skip = EqualConv2D(self.features, 1, use_bias=False, conv=self.conv, name="skip")(
        downsample_2x(x))
    h = activation(EqualConv2D(x.shape[-1], 3, conv=self.conv, name="conv0")(x))
    h = activation(EqualConv2D(self.features, 3, conv=self.conv, name="conv1")(downsample_2x(h)))
    return (skip + h) / math.sqrt(2.0)


class Discriminator(nn.Module):
  """images [N, R, R, C] -> logits [N]; N a multiple of ``mbstd_group_size``."""
  channel_base: int
  channel_max: int
  mbstd_group_size: int = 4
  mbstd_channels: int = 1
  conv: str = "auto"

  @nn.compact
  def __call__(self, x: jax.Array) -> jax.Array:
    width = lambda res: channels_at(res, self.channel_base, self.channel_max)
    res = x.shape[1]
    h = activation(EqualConv2D(width(res), 1, conv=self.conv, name="from_rgb")(x))
    while res > 4:
      h = DiscriminatorBlock(width(res // 2), self.conv, name=f"block_{res}")(h)
      res //= 2
    h = minibatch_stddev(h, self.mbstd_group_size, self.mbstd_channels)
    h = activation(EqualConv2D(width(4), 3, conv=self.conv, name="conv_4")(h))
    h = activation(EqualDense(width(4), name="dense_4")(h.reshape(h.shape[0], -1)))
    return EqualDense(1, name="logit")(h)[:, 0]
