"""PixelRNN networks (van den Oord et al. 2016, "Pixel Recurrent Neural Networks", Section 3): the
Row LSTM (``row_lstm``) and the Diagonal BiLSTM (``diagonal_bilstm``). ``model.py`` registers them
beside the PixelCNNs; they are called the same way:

  ``__call__(x [B, H, W, 1], labels [B] or None, train) -> [B, H, W, num_outputs]``

Both start with a k0 x k0 mask-A convolution to 2h features, stack LSTM layers with residual
connections (Section 3.4: a layer's h outputs go back to 2h by a 1x1 convolution and the layer's
input is added) and end in the PixelCNN's two 1x1 output layers. The layers differ in the context
their state reaches:

- Row LSTM (Section 3.1): one row per step, top to bottom. The gates at (i, j) read the layer input
  at (i, j - k/2 .. j) (a 1 x k mask-B convolution) and the previous row's hidden state at
  (i - 1, j - k/2 .. j + k/2) (a 1 x k convolution): a triangle above the pixel, k/2 wider a row up.
- Diagonal BiLSTM (Section 3.2): the map is skewed (row i shifted right by i), so each diagonal is a
  column, and an LSTM runs over the columns: the state at (i, j) reads the layer input there (1x1,
  mask B) and the states at (i, j - 1) and (i - 1, j) (a 2 x 1 convolution over the previous skewed
  column). A second LSTM runs right to left on the mirrored map; its output is shifted down a row,
  so that after one layer each pixel reads every pixel before it and none after -- but one: the
  mask-A map holds the last pixel of a row only in the rows below it, so (i, j) misses
  (i - 1, W - 1) while j + k0/2 < W - 1, with any number of layers (tests/test_pixelrnn.py).

One data channel only (grey-level or binary images): no mask here orders channels inside a pixel.
No pixel-by-pixel cache: sampled by ``sample.method='plain'``. Of the family, this module imports
``masked`` only, so ``model.py`` can import it.
"""

from typing import Optional

import flax.linen as nn
import jax
import jax.numpy as jnp

from jaxgen.errors import ConfigError
from jaxgen.nn.masked_conv import MaskedConv, class_bias, down_shift


def check_one_channel(name: str, channels: int) -> None:
  if channels != 1:
    raise ConfigError(f"model.name={name!r} models one data channel (grey-level or binary images), "
                      f"got {channels}; use gated_pixelcnn or pixelcnn_pp for colour")


def lstm_update(pre: jax.Array, c: jax.Array) -> tuple[jax.Array, jax.Array]:
  """Eq. 3: [o, f, i, g] = [sigmoid, sigmoid, sigmoid, tanh](pre), c' = f c + i g, h' = o tanh(c').
  pre: [..., 4h], c: [..., h] -> (c', h')."""
  o, f, i, g = jnp.split(pre, 4, axis=-1)
  c = jax.nn.sigmoid(f) * c + jax.nn.sigmoid(i) * jnp.tanh(g)
  return c, jax.nn.sigmoid(o) * jnp.tanh(c)


def skew(x: jax.Array) -> jax.Array:
  """Row i shifted right by i: [B, H, W, F] -> [B, H, W + H - 1, F], zeros elsewhere. The diagonal
  i + j = s becomes column s."""
  height = x.shape[1]
  return jnp.stack([jnp.pad(x[:, i], ((0, 0), (i, height - 1 - i), (0, 0))) for i in range(height)],
                   axis=1)


def unskew(x: jax.Array, width: int) -> jax.Array:
  """The inverse of ``skew``: [B, H, W + H - 1, F] -> [B, H, W, F]."""
  return jnp.stack([x[:, i, i:i + width] for i in range(x.shape[1])], axis=1)


class RowCell(nn.Module):
  """One step of the Row LSTM: row i from row i - 1. carry (c, h): [B, W, h] each; pre: row i's
  input-to-state pre-activations [B, W, 4h] -> (carry, h [B, W, h])."""
  features: int  # h
  kernel_size: int  # k

  @nn.compact
  def __call__(self, carry, pre):
    c, h = carry
    # State-to-state: a 1 x k convolution of the previous row, centred; as one matmul of the k
    # shifted copies (XLA's CPU convolutions are slow at these sizes inside a loop).
    k, width = self.kernel_size, h.shape[1]
    padded = jnp.pad(h, ((0, 0), (k // 2, k // 2), (0, 0)))
    window = jnp.concatenate([padded[:, d:d + width] for d in range(k)], axis=-1)  # [B, W, k h]
    c, h = lstm_update(pre + nn.Dense(4 * self.features, use_bias=False)(window), c)
    return (c, h), h


class ColumnCell(nn.Module):
  """One step of the Diagonal BiLSTM: skewed column s from column s - 1. carry (c, h): [B, H, h]
  each; pre: column s's input-to-state pre-activations [B, H, 4h] -> (carry, h [B, H, h])."""
  features: int  # h

  @nn.compact
  def __call__(self, carry, pre):
    c, h = carry
    # State-to-state: a 2 x 1 convolution reading rows i - 1 and i of the previous column, which in
    # the skewed map hold the pixels above and to the left of (i, j); as one matmul.
    above = jnp.pad(h, ((0, 0), (1, 0), (0, 0)))[:, :-1]
    c, h = lstm_update(pre + nn.Dense(4 * self.features, use_bias=False)(
        jnp.concatenate([above, h], axis=-1)), c)
    return (c, h), h


def scan_cells(cell: type, axis: int):
  """``cell`` scanned over ``axis`` of its [B, H, W, 4h] pre-activations (shared params)."""
  return nn.scan(cell, variable_broadcast="params", split_rngs={"params": False}, in_axes=axis,
                 out_axes=axis)


def zero_state(batch: int, length: int, features: int) -> tuple[jax.Array, jax.Array]:
  zeros = jnp.zeros((batch, length, features))
  return zeros, zeros


class RowLSTMLayer(nn.Module):
  """A residual Row LSTM layer: x [B, H, W, 2h] -> [B, H, W, 2h]."""
  features: int  # h
  kernel_size: int
  num_classes: int
  dropout: float

  def setup(self):
    k = self.kernel_size
    self.input_to_state = MaskedConv(4 * self.features, (1, k), (0, k // 2), "B")
    self.rows = scan_cells(RowCell, 1)(self.features, k)
    self.embed = nn.Embed(self.num_classes, 4 * self.features) if self.num_classes else None
    self.drop = nn.Dropout(self.dropout)
    self.expand = nn.Dense(2 * self.features)  # 1x1: one channel, so no within-pixel mask

  def __call__(self, x: jax.Array, labels: Optional[jax.Array], train: bool) -> jax.Array:
    # The input-to-state part reads no state: computed for all rows at once.
    pre = self.input_to_state(self.input_to_state.pad(x)) + class_bias(self.embed, labels)
    _, hidden = self.rows(zero_state(x.shape[0], x.shape[2], self.features), pre)
    return x + self.expand(self.drop(hidden, deterministic=not train))


class DiagonalLSTM(nn.Module):
  """The left-to-right diagonal LSTM: x [B, H, W, 2h] -> hidden states [B, H, W, h]; (i, j) reads
  x at rows <= i and columns <= j."""
  features: int  # h
  num_classes: int

  @nn.compact
  def __call__(self, x: jax.Array, labels: Optional[jax.Array]) -> jax.Array:
    batch, height, width, _ = x.shape
    # Input-to-state: 1x1 with mask B, which one channel leaves open. Skewed after it: the zeros
    # that skewing adds carry no data; the states before a row's first pixel see only zeros (a
    # start state), and no pixel reads the states after a row's last pixel.
    pre = nn.Dense(4 * self.features)(x)
    if self.num_classes:
      pre = pre + class_bias(nn.Embed(self.num_classes, 4 * self.features), labels)
    columns = scan_cells(ColumnCell, 2)(self.features)
    _, hidden = columns(zero_state(batch, height, self.features), skew(pre))
    return unskew(hidden, width)


class DiagonalBiLSTMLayer(nn.Module):
  """A residual Diagonal BiLSTM layer: x [B, H, W, 2h] -> [B, H, W, 2h]."""
  features: int  # h
  num_classes: int
  dropout: float

  def setup(self):
    self.left_to_right = DiagonalLSTM(self.features, self.num_classes)
    self.right_to_left = DiagonalLSTM(self.features, self.num_classes)
    self.drop = nn.Dropout(self.dropout)
    self.expand = nn.Dense(2 * self.features)

  def __call__(self, x: jax.Array, labels: Optional[jax.Array], train: bool) -> jax.Array:
    # Right to left at (i, j) reads row i from column j on: shifted down a row, it reads rows < i.
    backward = jnp.flip(self.right_to_left(jnp.flip(x, axis=2), labels), axis=2)
    hidden = self.left_to_right(x, labels) + down_shift(backward)
    return x + self.expand(self.drop(hidden, deterministic=not train))


class PixelRNN(nn.Module):
  """A k0 x k0 mask-A convolution to 2h features, ``num_layers`` residual LSTM layers, two 1x1
  output layers (PixelRNN paper, Figure 5 / Table 4). ``RowLSTM`` and ``DiagonalBiLSTM`` pick the
  layer."""
  features: int  # h: the layers carry 2h features, each LSTM h
  num_layers: int
  input_kernel: int  # k0: 7 in the paper
  kernel_size: int  # the Row LSTM's k (3 in the paper); the Diagonal BiLSTM's kernels are fixed
  output_features: int
  num_outputs: int
  num_classes: int = 0
  dropout: float = 0.0  # on each layer's LSTM output, in training only

  def make_layer(self) -> nn.Module:
    raise NotImplementedError

  def setup(self):
    k0 = self.input_kernel
    self.input_conv = MaskedConv(2 * self.features, (k0, k0), (k0 // 2, k0 // 2), "A")
    self.layers = [self.make_layer() for _ in range(self.num_layers)]
    self.hidden = nn.Dense(self.output_features)
    self.final = nn.Dense(self.num_outputs)

  def __call__(self, x: jax.Array, labels: Optional[jax.Array] = None,
               train: bool = False) -> jax.Array:
    check_one_channel(self.name_in_registry, x.shape[-1])
    # A channel of ones (as model.with_ones): the zero padding then differs from zero pixels.
    h = jnp.concatenate([x, jnp.ones_like(x)], axis=-1)
    h = self.input_conv(self.input_conv.pad(h))
    for layer in self.layers:
      h = layer(h, labels, train)
    return self.final(nn.relu(self.hidden(nn.relu(h))))  # model.output_layers


class RowLSTM(PixelRNN):
  """PixelRNN with Row LSTM layers: the receptive field is a triangle above the pixel."""
  name_in_registry = "row_lstm"

  def make_layer(self) -> nn.Module:
    return RowLSTMLayer(self.features, self.kernel_size, self.num_classes, self.dropout)


class DiagonalBiLSTM(PixelRNN):
  """PixelRNN with Diagonal BiLSTM layers: every pixel reads every pixel before it."""
  name_in_registry = "diagonal_bilstm"

  def make_layer(self) -> nn.Module:
    return DiagonalBiLSTMLayer(self.features, self.num_classes, self.dropout)
