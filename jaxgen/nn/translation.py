"""Image-to-image translation networks: pix2pix's (Isola et al. 2017, Sec. 3.2 and App. 6.1.1),
sized for 28x28 or 32x32, which CycleGAN (Zhu et al. 2017) uses for both of its mappings.

Generator: a U-Net. An encoder of 4x4 stride-2 convolutions with leaky ReLU (0.2) halves the
image down to 1x1; a decoder of 4x4 stride-2 transposed convolutions with ReLU doubles it back,
each decoder block reading the encoder's feature map of its size beside its input (the skip
connections, which let low-level structure -- here the edges' positions -- pass straight to the
output). Dropout 0.5 in the innermost decoder blocks, in training and at test time, is the
model's only noise (the paper's z). Images whose side is not a power of two (Fashion-MNIST's 28)
are padded with zeros to the next one (32) inside the generator and its output cropped back.

Discriminator: a PatchGAN. 4x4 convolutions with leaky ReLU, ``num_downsamples`` of stride 2 and
one of stride 1, and a 4x4 output convolution score every patch of their input: pix2pix's
(source, image) pair stacked along channels, or CycleGAN's image of one domain alone. One
stride-2 convolution gives the paper's 16x16 PatchGAN (``receptive_field``), half the side of a
28x28 or 32x32 image as their 70x70 is a quarter of 256x256, and ceil(H / 2) x ceil(W / 2) patch
logits (``patch_grid``): 14 x 14 on Fashion-MNIST.

``ResNetGenerator`` is CycleGAN's own generator (residual blocks at a quarter of the image's
side, instance norm), an alternative to the U-Net there.

Normalization: layer norm over (H, W, C) per example in the U-Net, where the paper uses
batch norm with the test batch's statistics, which makes an example's translation depend on its
batch mates (their batch of 1 makes it instance norm, which cannot normalize a 1x1 map). The
discriminator has none: statistics over the image would make each patch's logit depend on the
whole image, which a PatchGAN is meant not to do.
"""

import math

import flax.linen as nn
import jax
import jax.numpy as jnp

from jaxgen.nn.conv import Conv2D, ConvTranspose2D

KERNEL_SIZE = 4  # every convolution's, as the paper's
LEAK = 0.2
# Channels of the U-Net's levels are features * these, the last repeated (the paper's
# C64-C128-C256-C512-C512-...).
WIDTH_MULTIPLIERS = (1, 2, 4, 8)


def padded_size(size: int) -> int:
  """The power of two that a side of ``size`` pixels is padded to: 28 -> 32."""
  return 2 ** math.ceil(math.log2(size))


def unet_widths(size: int, features: int) -> tuple[int, ...]:
  """The encoder's channels, one per stride-2 level from ``padded_size(size)`` down to 1x1."""
  levels = int(math.log2(padded_size(size)))
  return tuple(features * WIDTH_MULTIPLIERS[min(i, len(WIDTH_MULTIPLIERS) - 1)]
               for i in range(levels))


def layer_norm(h: jax.Array) -> jax.Array:
  """Layer norm over (H, W, C) of each example; call inside a compact module."""
  return nn.LayerNorm(reduction_axes=(1, 2, 3))(h)


class UNetGenerator(nn.Module):
  """source: [B, H, W, C_in] -> image [B, H, W, out_channels], before the output activation.

  With L = log2 of the padded side, the encoder's L levels have ``unet_widths`` channels (layer
  norm on all but the first and the 1x1 bottleneck); the decoder mirrors them, with dropout on
  its ``dropout_blocks`` innermost blocks (drawn from the "dropout" rng, in training and in
  evaluation), and its last transposed convolution makes the image.
  """
  out_channels: int
  features: int = 64
  dropout_rate: float = 0.5
  dropout_blocks: int = 3  # the paper's three innermost decoder blocks
  conv: str = "auto"  # jaxgen.nn.conv.IMPLS

  @nn.compact
  def __call__(self, source: jax.Array) -> jax.Array:
    height, width = source.shape[1:3]
    side = padded_size(max(height, width))
    top, left = (side - height) // 2, (side - width) // 2
    h = jnp.pad(source, [(0, 0), (top, side - height - top), (left, side - width - left), (0, 0)])
    widths = unet_widths(side, self.features)
    skips = []
    for level, channels in enumerate(widths):
      if level > 0:
        h = nn.leaky_relu(h, LEAK)
      h = Conv2D(channels, KERNEL_SIZE, 2, impl=self.conv)(h)
      if 0 < level < len(widths) - 1:
        h = layer_norm(h)
      skips.append(h)
    skips.pop()  # the bottleneck is the decoder's input, not a skip
    for block, channels in enumerate(reversed(widths[:-1])):
      h = ConvTranspose2D(channels, KERNEL_SIZE, 2, impl=self.conv)(nn.relu(h))
      h = layer_norm(h)
      if block < self.dropout_blocks:
        h = nn.Dropout(self.dropout_rate, deterministic=False)(h)  # in evaluation too
      h = jnp.concatenate([h, skips.pop()], axis=-1)
    image = ConvTranspose2D(self.out_channels, KERNEL_SIZE, 2, impl=self.conv)(nn.relu(h))
    return image[:, top:top + height, left:left + width]


class ResNetGenerator(nn.Module):
  """x: [B, H, W, C_in] -> [B, H, W, out_channels], before the output activation: CycleGAN's
  generator (Zhu et al. 2017, App. 7.2, after Johnson et al. 2016), with k = ``features``:

    c7s1-k, d2k, d4k, ``num_blocks`` x R4k, u2k, uk, c7s1-out_channels

  c7s1-k a 7x7 stride-1 convolution, dk a 3x3 stride-2 one, Rk a residual block of two 3x3
  convolutions, uk a stride-2 transposed convolution (4x4, as the U-Net's: 3x3 needs an output
  padding), each but the last followed by instance norm and ReLU (none after a block's sum).
  Zero "SAME" padding where the paper reflects; sides not a multiple of 4 are padded to one (with
  zeros, inside) and the output cropped back. Unlike the U-Net it has no skip connections: the
  input's details reach the output only through the 4x-downsampled residual trunk.
  """
  out_channels: int
  features: int = 64
  num_blocks: int = 6  # the paper's for 128x128 images (9 for 256x256)
  conv: str = "auto"  # jaxgen.nn.conv.IMPLS

  @nn.compact
  def __call__(self, x: jax.Array) -> jax.Array:
    height, width = x.shape[1:3]
    h = jnp.pad(x, [(0, 0), (0, -height % 4), (0, -width % 4), (0, 0)])
    norm_relu = lambda h: nn.relu(nn.InstanceNorm()(h))
    h = norm_relu(Conv2D(self.features, 7, impl=self.conv)(h))
    for multiplier in (2, 4):
      h = norm_relu(Conv2D(self.features * multiplier, 3, 2, impl=self.conv)(h))
    for _ in range(self.num_blocks):
      r = norm_relu(Conv2D(self.features * 4, 3, impl=self.conv)(h))
      h = h + nn.InstanceNorm()(Conv2D(self.features * 4, 3, impl=self.conv)(r))
    for multiplier in (2, 1):
      h = norm_relu(ConvTranspose2D(self.features * multiplier, KERNEL_SIZE, 2, impl=self.conv)(h))
    return Conv2D(self.out_channels, 7, impl=self.conv)(h)[:, :height, :width]


def receptive_field(num_downsamples: int) -> int:
  """The side of the input patch that one PatchGAN logit sees: r = 4 for the output
  convolution, 3 more for the stride-1 one, then r -> 2 (r - 1) + 4 for each stride-2 one
  (1: 16, 2: 34, 3: 70, the paper's)."""
  r = KERNEL_SIZE + (KERNEL_SIZE - 1)
  for _ in range(num_downsamples):
    r = 2 * (r - 1) + KERNEL_SIZE
  return r


def patch_grid(height: int, width: int, num_downsamples: int) -> tuple[int, int]:
  """The PatchGAN's rows and columns of logits: "SAME" stride-2 convolutions take a side to
  ceil(side / 2), stride-1 ones keep it."""
  scale = 2 ** num_downsamples
  return -(-height // scale), -(-width // scale)


class PatchDiscriminator(nn.Module):
  """inputs [B, H, W, C_i], ... -> logits [B, *patch_grid(H, W, n)], one per
  ``receptive_field(n)``-pixel patch of the inputs stacked along channels (pix2pix's
  (source, image) pair; CycleGAN's one image).

  ``num_downsamples`` 4x4 stride-2 convolutions with features * 1, 2, 4, ... channels, one 4x4
  stride-1 convolution with twice the last, leaky ReLU (0.2) after each, and a 4x4 stride-1
  convolution to one logit.
  """
  features: int = 64
  num_downsamples: int = 1
  conv: str = "auto"  # jaxgen.nn.conv.IMPLS

  @nn.compact
  def __call__(self, *inputs: jax.Array) -> jax.Array:
    h = jnp.concatenate(inputs, axis=-1)
    for i in range(self.num_downsamples + 1):
      channels = self.features * 2 ** i
      stride = 2 if i < self.num_downsamples else 1
      h = nn.leaky_relu(Conv2D(channels, KERNEL_SIZE, stride, impl=self.conv)(h), LEAK)
    return Conv2D(1, KERNEL_SIZE, 1, impl=self.conv)(h)[..., 0]
