"""PixelCNN networks by name: ``pixelcnn`` (residual blocks of masked convolutions),
``gated_pixelcnn`` (vertical and horizontal stacks, no blind spot) and ``pixelcnn_pp`` (PixelCNN++'s
multi-resolution shifted-convolution streams), all optionally class-conditional; and PixelRNN's
``row_lstm`` and ``diagonal_bilstm`` (``pixelrnn.py``, one data channel, whole-image forward only).

Every network maps an image x: [B, H, W, C] (and labels [B] when conditional) to the head's
parameters at every pixel, [B, H, W, F], where pixel (i, j)'s outputs read only pixels before it in
raster order (and, through the channel groups of ``jaxgen/nn/masked_conv.py``, only earlier
channels of pixel (i, j)). ``pixelcnn`` and ``gated_pixelcnn`` have the three entry points of
``jaxgen/nn/gated_pixelcnn.py``, ``forward``, ``row_step`` and ``pixel_step`` (the cached
sampler's); ``pixelcnn_pp`` the first.
"""

from typing import Optional

import flax.linen as nn
import jax
import jax.numpy as jnp
import ml_collections

from jaxgen.registry import Registry
from jaxgen.errors import ConfigError
from jaxgen.families.pixelcnn import pixelrnn
from jaxgen.nn.gated_pixelcnn import GatedPixelCNN
from jaxgen.nn.masked_conv import (MaskedConv, class_bias, down_shift, output_layers, pointwise,
                                   with_ones)

ARCHITECTURES = Registry("PixelCNN architecture")
register_architecture = ARCHITECTURES.register


class ResidualBlock(nn.Module):
  """PixelRNN paper Figure 5: 2h -> ReLU, 1x1 -> h -> ReLU, k x k mask B -> h -> ReLU, 1x1 -> 2h, +x."""
  features: int  # h
  kernel_size: int
  channels: int
  num_classes: int
  dropout: float

  def setup(self):
    k = self.kernel_size
    self.drop = nn.Dropout(self.dropout)
    self.reduce = pointwise(self.features, self.channels)
    self.conv = MaskedConv(self.features, (k, k), (k // 2, k // 2), "B", self.channels)
    self.expand = pointwise(2 * self.features, self.channels)
    self.embed = nn.Embed(self.num_classes, self.features) if self.num_classes else None

  def before(self, x: jax.Array) -> jax.Array:
    """The input of the k x k convolution: [B, h, w, 2h] -> [B, h, w, h]."""
    return nn.relu(self.reduce(nn.relu(x)))

  def after(self, x: jax.Array, conv: jax.Array, labels, train: bool = False) -> jax.Array:
    hidden = nn.relu(conv + class_bias(self.embed, labels))
    return x + self.expand(self.drop(hidden, deterministic=not train))


class PixelCNN(nn.Module):
  """A k0 x k0 mask-A convolution, residual blocks, two 1x1 output layers (van den Oord et al.
  2016a, Section 3.4 and Figure 5). Its receptive field has the blind spot of stacked masks."""
  features: int  # h: blocks carry 2h features
  num_blocks: int
  input_kernel: int  # k0: 7 in the paper
  kernel_size: int  # 3 in the paper
  output_features: int
  num_outputs: int
  channels: int
  num_classes: int = 0
  dropout: float = 0.0  # before each block's last 1x1 convolution, in training only

  def setup(self):
    k0 = self.input_kernel
    self.input_conv = MaskedConv(2 * self.features, (k0, k0), (k0 // 2, k0 // 2), "A", self.channels)
    self.blocks = [ResidualBlock(self.features, self.kernel_size, self.channels, self.num_classes,
                                 self.dropout) for _ in range(self.num_blocks)]
    self.hidden = pointwise(self.output_features, self.channels)
    self.final = pointwise(self.num_outputs, self.channels)

  def __call__(self, x: jax.Array, labels: Optional[jax.Array] = None, train: bool = False) -> jax.Array:
    return self.forward(x, labels, train)[0]

  def forward(self, x, labels=None, train=False):
    h, caches = self.input_conv(self.input_conv.pad(with_ones(x))), {}
    for n, block in enumerate(self.blocks):
      conv, caches[f"block_{n}"] = block.conv.full(block.before(h))
      h = block.after(h, conv, labels, train)
    return output_layers(h, self.hidden, self.final), caches

  def row_step(self, canvas, caches, labels, row):
    return (), caches  # Every layer of a PixelCNN works pixel by pixel.

  def pixel_step(self, canvas, caches, row_state, labels, row, col):
    caches = dict(caches)
    h = self.input_conv.region(self.input_conv.pad(with_ones(canvas)), row, col, 1, 1)
    for n, block in enumerate(self.blocks):
      name = f"block_{n}"
      caches[name] = block.conv.write(caches[name], block.before(h), row, col)
      h = block.after(h, block.conv.region(caches[name], row, col, 1, 1), labels)
    return output_layers(h, self.hidden, self.final)[:, 0, 0], caches


def concat_elu(x: jax.Array) -> jax.Array:
  """``elu([x, -x])``: PixelCNN++'s non-linearity, which keeps both signs' information. [..., F] ->
  [..., 2F]."""
  return jax.nn.elu(jnp.concatenate([x, -x], axis=-1))


def right_shift(x: jax.Array) -> jax.Array:
  """Column j takes column j - 1 (column 0 zeros): [B, H, W, F]."""
  return jnp.pad(x, ((0, 0), (0, 0), (1, 0), (0, 0)))[:, :, :-1]


class ShiftedConv(nn.Module):
  """PixelCNN++'s ``down_shifted_conv2d`` (kernel centred on the column, rows <= i) or, with
  ``down_right``, ``down_right_shifted_conv2d`` (rows <= i, columns <= j); stride 2 downsamples."""
  features: int
  kernel_size: tuple[int, int]
  down_right: bool = False
  strides: tuple[int, int] = (1, 1)

  @nn.compact
  def __call__(self, x: jax.Array) -> jax.Array:
    kh, kw = self.kernel_size
    cols = (kw - 1, 0) if self.down_right else ((kw - 1) // 2, (kw - 1) // 2)
    x = jnp.pad(x, ((0, 0), (kh - 1, 0), cols, (0, 0)))
    return nn.Conv(self.features, self.kernel_size, self.strides, padding="VALID")(x)


class ShiftedDeconv(nn.Module):
  """The stride-2 transposed convolutions of PixelCNN++ (``down_shifted_deconv2d`` and
  ``down_right_shifted_deconv2d``), cropped so that the upsampled map stays causal: [B, H, W, F]
  -> [B, 2H, 2W, features]."""
  features: int
  kernel_size: tuple[int, int]
  down_right: bool = False

  @nn.compact
  def __call__(self, x: jax.Array) -> jax.Array:
    height, width = 2 * x.shape[1], 2 * x.shape[2]
    y = nn.ConvTranspose(self.features, self.kernel_size, (2, 2), padding="VALID")(x)
    left = 0 if self.down_right else (self.kernel_size[1] - 1) // 2
    return y[:, :height, left:left + width]


class GatedResnet(nn.Module):
  """PixelCNN++'s gated ResNet layer: ``x + a * sigmoid(b)`` with [a, b] = conv(dropout(concat_elu(
  conv(concat_elu(x)) + nin(concat_elu(skip))))) (+ the label's embedding when conditional)."""
  down_right: bool
  dropout: float
  num_classes: int

  @nn.compact
  def __call__(self, x, skip=None, labels=None, train=False):
    features = x.shape[-1]
    kernel = (2, 2) if self.down_right else (2, 3)
    hidden = ShiftedConv(features, kernel, self.down_right)(concat_elu(x))
    if skip is not None:
      hidden = hidden + nn.Dense(features)(concat_elu(skip))
    hidden = nn.Dropout(self.dropout)(concat_elu(hidden), deterministic=not train)
    out = ShiftedConv(2 * features, kernel, self.down_right)(hidden)
    if self.num_classes:
      out = out + nn.Embed(self.num_classes, 2 * features)(labels)[:, None, None, :]
    return x + gate_sigmoid(out)


def gate_sigmoid(a: jax.Array) -> jax.Array:
  """``a_1 * sigmoid(a_2)`` of the two halves of a: [..., 2F] -> [..., F] (PixelCNN++'s gate)."""
  values, gates = jnp.split(a, 2, axis=-1)
  return values * jax.nn.sigmoid(gates)


class PixelCNNPlusPlus(nn.Module):
  """PixelCNN++ (Salimans et al. 2017, Section 2 and openai/pixel-cnn ``model_spec``): an up stream
  u (rows above) and an up-left stream ul (rows above and the row to the left) of gated ResNet
  layers over ``num_scales`` resolutions, downsampled by stride-2 shifted convolutions and
  upsampled back with skip connections from the down pass (short-cuts, Section 2.4). It predicts
  whole pixels, so its head must order the channels itself (``logistic_mixture``) on colour data.
  Sampled by the plain sampler only (the strided layers have no pixel-by-pixel cache here).
  Differences from the reference code: no weight normalization and no data-dependent init.
  """
  features: int  # 160 in the paper
  num_resnets: int  # per resolution in the down pass (5); the up pass has one more from scale 2 on
  num_scales: int  # 3: 32x32, 16x16, 8x8
  num_outputs: int
  num_classes: int = 0
  dropout: float = 0.0

  def __call__(self, x: jax.Array, labels: Optional[jax.Array] = None, train: bool = False) -> jax.Array:
    return self.forward(x, labels, train)[0]

  @nn.compact
  def forward(self, x, labels=None, train=False):
    factor = 2 ** (self.num_scales - 1)
    if x.shape[1] % factor or x.shape[2] % factor:
      raise ConfigError(f"pixelcnn_pp with {self.num_scales} scales needs image sides divisible by "
                        f"{factor}, got {x.shape[1]}x{x.shape[2]}")
    features = self.features
    resnet = lambda down_right: GatedResnet(down_right, self.dropout, self.num_classes)
    x = with_ones(x)
    up = [down_shift(ShiftedConv(features, (2, 3))(x))]
    up_left = [down_shift(ShiftedConv(features, (1, 3))(x))
               + right_shift(ShiftedConv(features, (2, 1), down_right=True)(x))]
    for scale in range(self.num_scales):
      if scale:
        up.append(ShiftedConv(features, (2, 3), strides=(2, 2))(up[-1]))
        up_left.append(ShiftedConv(features, (2, 2), True, (2, 2))(up_left[-1]))
      for _ in range(self.num_resnets):
        up.append(resnet(False)(up[-1], None, labels, train))
        up_left.append(resnet(True)(up_left[-1], up[-1], labels, train))
    u, ul = up.pop(), up_left.pop()
    for scale in range(self.num_scales):
      if scale:
        u = ShiftedDeconv(features, (2, 3))(u)
        ul = ShiftedDeconv(features, (2, 2), True)(ul)
      for _ in range(self.num_resnets + (1 if scale else 0)):
        u = resnet(False)(u, up.pop(), labels, train)
        ul = resnet(True)(ul, jnp.concatenate([u, up_left.pop()], axis=-1), labels, train)
    return nn.Dense(self.num_outputs)(jax.nn.elu(ul)), {}


@register_architecture("pixelcnn")
def _pixelcnn(c: ml_collections.ConfigDict, num_outputs: int, channels: int, num_classes: int):
  return PixelCNN(c.features, c.num_layers, c.input_kernel, c.kernel_size, c.output_features,
                  num_outputs, channels, num_classes, c.dropout)


@register_architecture("gated_pixelcnn")
def _gated_pixelcnn(c: ml_collections.ConfigDict, num_outputs: int, channels: int, num_classes: int):
  return GatedPixelCNN(c.features, c.num_layers, c.kernel_size, c.output_features, num_outputs,
                       channels, num_classes, c.dropout)


@register_architecture("pixelcnn_pp")
def _pixelcnn_pp(c: ml_collections.ConfigDict, num_outputs: int, channels: int, num_classes: int):
  if channels > 1:
    raise ConfigError("model.name='pixelcnn_pp' predicts whole pixels: on colour data use "
                      "model.head='logistic_mixture', which orders the channels itself")
  return PixelCNNPlusPlus(c.features, c.num_layers, c.num_scales, num_outputs, num_classes, c.dropout)


@register_architecture("row_lstm")
def _row_lstm(c: ml_collections.ConfigDict, num_outputs: int, channels: int, num_classes: int):
  pixelrnn.check_one_channel(c.name, channels)
  return pixelrnn.RowLSTM(c.features, c.num_layers, c.input_kernel, c.kernel_size,
                          c.output_features, num_outputs, num_classes, c.dropout)


@register_architecture("diagonal_bilstm")
def _diagonal_bilstm(c: ml_collections.ConfigDict, num_outputs: int, channels: int,
                     num_classes: int):
  pixelrnn.check_one_channel(c.name, channels)
  return pixelrnn.DiagonalBiLSTM(c.features, c.num_layers, c.input_kernel, c.kernel_size,
                                 c.output_features, num_outputs, num_classes, c.dropout)


def build_model(c: ml_collections.ConfigDict, num_outputs: int, channels: int, num_classes: int):
  """The network ``c.name`` (``ARCHITECTURES``) with ``num_outputs`` features per pixel whose masks
  keep the order of ``channels`` channel groups; class-conditional when ``num_classes`` > 0."""
  if c.features % channels or c.output_features % channels or num_outputs % channels:
    raise ConfigError(f"model.features ({c.features}), model.output_features ({c.output_features}) "
                      f"and the head's {num_outputs} outputs must be multiples of the {channels} "
                      "channel groups that the masks order")
  if c.kernel_size % 2 == 0 or c.kernel_size < 3:
    raise ConfigError(f"model.kernel_size must be odd and >= 3, got {c.kernel_size}")
  return ARCHITECTURES.get(c.name)(c, num_outputs, channels, num_classes)
