"""ProGAN's networks (Karras et al. 2018, "Progressive Growing of GANs for Improved Quality,
Stability, and Variation", Table 2) at small resolutions, with every stage's layers.

Stage s works at resolution r_s = 4 * 2^s, up to the canvas R (stage S - 1, S = log2 R - 1).
Generator: pixel-normalised z -> 4x4 (a dense layer, the paper's 4x4 convolution of a 1x1 input,
and a 3x3 convolution); each stage doubles the maps (nearest upsampling) into two 3x3
convolutions; leaky ReLU then pixel norm after every layer; a 1x1 linear toRGB per stage.
Discriminator: a 1x1 fromRGB per stage, then per stage two 3x3 convolutions and a 2x2 average
pooling; at 4x4 the minibatch standard deviation, a 3x3 convolution, the 4x4 "valid" convolution
(a dense layer of the flattened maps) and a linear dense layer -> one logit. Equalised learning
rate everywhere (``jaxgen.nn.equalized``).

Fade-in (Sec. 2, Fig. 2): at stage s and alpha in [0, 1] the generator's output is
``(1 - alpha) upsample(toRGB_{s-1}(h_{s-1})) + alpha toRGB_s(h_s)``, and the discriminator's
first features at r_{s-1} are ``(1 - alpha) fromRGB_{s-1}(downsample(x)) + alpha block_s(
fromRGB_s(x))``. ``stage`` is static (a Python int: each stage is its own program at its own
resolution); ``alpha`` may be traced. ``pyramid`` runs every stage's layers, so ``init`` through
it creates every parameter of every stage and the parameter tree never changes as the networks
grow.
"""

import flax.linen as nn
import jax

from jaxgen.nn.canvas import channels_at, resolutions
from jaxgen.nn.equalized import (EqualConv2D, EqualDense, activation, downsample_2x,
                                 minibatch_stddev, pixel_norm, upsample_2x)


def downsample_to(images: jax.Array, side: int) -> jax.Array:
  """images [B, R, R, C] -> [B, side, side, C] by repeated 2x2 means (``side`` divides R by a
  power of two)."""
  while images.shape[1] > side:
    images = downsample_2x(images)
  return images


def upsample_to(images: jax.Array, side: int) -> jax.Array:
  """images [B, r, r, C] -> [B, side, side, C], each pixel repeated (nearest upsampling)."""
  while images.shape[1] < side:
    images = upsample_2x(images, "nearest")
  return images


def fade(old: jax.Array, new: jax.Array, alpha: jax.Array) -> jax.Array:
  """``(1 - alpha) old + alpha new``: the fade-in of a stage's new layers."""
  return (1.0 - alpha) * old + alpha * new


class GeneratorBlock(nn.Module):
  """x: [B, H, W, C] -> [B, 2H, 2W, features]: nearest upsampling, then two 3x3 convolutions,
  each followed by leaky ReLU and pixel norm."""
  features: int
  conv: str = "auto"  # jaxgen.nn.conv.IMPLS

  @nn.compact
  def __call__(self, x: jax.Array) -> jax.Array:
    x = upsample_2x(x, "nearest")
    for i in range(2):
      x = pixel_norm(activation(EqualConv2D(self.features, 3, conv=self.conv, name=f"conv{i}")(x)))
    return x


class Generator(nn.Module):
  """z: [B, z_dim] -> images [B, r_s, r_s, channels] at stage s; parameters of every stage:
  ``start`` (the 4x4 layers), ``blocks_{s-1}`` (stage s's upsampling block), ``to_rgb_s``."""
  resolution: int  # the canvas R
  channels: int
  channel_base: int
  channel_max: int
  conv: str = "auto"

  def setup(self):
    widths = [channels_at(r, self.channel_base, self.channel_max)
              for r in resolutions(self.resolution)]
    self.dense_4 = EqualDense(16 * widths[0])
    self.conv_4 = EqualConv2D(widths[0], 3, conv=self.conv)
    self.blocks = [GeneratorBlock(width, self.conv) for width in widths[1:]]
    self.to_rgb = [EqualConv2D(self.channels, 1, conv=self.conv) for _ in widths]

  def start(self, z: jax.Array) -> jax.Array:
    """z: [B, z_dim] -> h_0: [B, 4, 4, width(4)]."""
    h = self.dense_4(pixel_norm(z)).reshape(z.shape[0], 4, 4, -1)
    h = pixel_norm(activation(h))
    return pixel_norm(activation(self.conv_4(h)))

  def __call__(self, z: jax.Array, stage: int, alpha: jax.Array) -> jax.Array:
    """z: [B, z_dim] -> [B, r_s, r_s, channels] at ``stage`` faded in by ``alpha``."""
    h = self.start(z)
    if stage == 0:  # nothing to fade from
      return self.to_rgb[0](h)
    for block in self.blocks[:stage - 1]:
      h = block(h)
    previous = upsample_2x(self.to_rgb[stage - 1](h), "nearest")
    return fade(previous, self.to_rgb[stage](self.blocks[stage - 1](h)), alpha)

  def pyramid(self, z: jax.Array) -> list[jax.Array]:
    """z: [B, z_dim] -> every stage's output at alpha 1, [B, r_s, r_s, channels] for s = 0, ...,
    S - 1 (one pass through every layer: what ``init`` runs)."""
    h = self.start(z)
    outputs = [self.to_rgb[0](h)]
    for block, to_rgb in zip(self.blocks, self.to_rgb[1:]):
      h = block(h)
      outputs.append(to_rgb(h))
    return outputs


class DiscriminatorBlock(nn.Module):
  """x: [B, H, W, C] -> [B, H/2, W/2, features]: a 3x3 convolution to C maps and one to
  ``features``, each with leaky ReLU, then 2x2 average pooling."""
  features: int
  conv: str = "auto"

  @nn.compact
  def __call__(self, x: jax.Array) -> jax.Array:
    h = activation(EqualConv2D(x.shape[-1], 3, conv=self.conv, name="conv0")(x))
    h = activation(EqualConv2D(self.features, 3, conv=self.conv, name="conv1")(h))
    return downsample_2x(h)


class Discriminator(nn.Module):
  """images [N, r_s, r_s, C] -> logits [N] at stage s; parameters of every stage: ``from_rgb_s``,
  ``blocks_{s-1}`` (stage s's pooling block, r_s -> r_{s-1}) and the 4x4 head. N: a multiple
  of ``mbstd_group_size``.
  """
  resolution: int
  channel_base: int
  channel_max: int
  mbstd_group_size: int = 4
  conv: str = "auto"

  def setup(self):
    widths = [channels_at(r, self.channel_base, self.channel_max)
              for r in resolutions(self.resolution)]
    self.from_rgb = [EqualConv2D(width, 1, conv=self.conv) for width in widths]
    self.blocks = [DiscriminatorBlock(width, self.conv) for width in widths[:-1]]
    self.conv_4 = EqualConv2D(widths[0], 3, conv=self.conv)
    self.dense_4 = EqualDense(widths[0])
    self.logit = EqualDense(1)

  def head(self, h: jax.Array) -> jax.Array:
    """h_0: [N, 4, 4, width(4)] -> logits [N]."""
    h = minibatch_stddev(h, self.mbstd_group_size)
    h = activation(self.conv_4(h))
    h = activation(self.dense_4(h.reshape(h.shape[0], -1)))
    return self.logit(h)[:, 0]

  def __call__(self, x: jax.Array, stage: int, alpha: jax.Array) -> jax.Array:
    """x: [N, r_s, r_s, C] -> logits [N] at ``stage`` faded in by ``alpha``."""
    h = activation(self.from_rgb[stage](x))
    if stage > 0:
      previous = activation(self.from_rgb[stage - 1](downsample_2x(x)))
      h = fade(previous, self.blocks[stage - 1](h), alpha)
      for block in reversed(self.blocks[:stage - 1]):
        h = block(h)
    return self.head(h)

  def pyramid(self, canvas: jax.Array) -> list[jax.Array]:
    """canvas [N, R, R, C] -> every stage's logits at alpha 1 on the canvas downsampled to r_s
    (every layer: what ``init`` runs)."""
    return [self(downsample_to(canvas, side), stage, 1.0)
            for stage, side in enumerate(resolutions(self.resolution))]
