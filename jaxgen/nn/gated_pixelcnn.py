"""The Gated PixelCNN (van den Oord et al. 2016b, "Conditional Image Generation with PixelCNN
Decoders"): vertical and horizontal stacks of gated masked convolutions, no blind spot, optionally
class-conditional. The PixelCNN family's ``gated_pixelcnn`` and the VQ-VAE's prior over its code
maps are this network.

``GatedPixelCNN`` maps x: [B, H, W, C] (and labels [B] when conditional) to ``num_outputs``
features at every pixel, [B, H, W, num_outputs], pixel (i, j)'s reading only pixels before it in
raster order (and, through ``masked_conv``'s channel groups, only earlier channels of (i, j)).
Three entry points:

  ``forward(x, labels) -> (outputs, caches)``  the whole image at once; ``caches`` holds the padded
                                                input of every spatial convolution after the first
  ``row_step(canvas, caches, labels, row) -> (row_state, caches)``      work done once per image row
  ``pixel_step(canvas, caches, row_state, labels, row, col) -> (outputs [B, F], caches)``

The steps compute only the outputs at the new row/pixel from the caches (Ramachandran et al. 2017,
"Fast Generation for Convolutional Autoregressive Models"); the first layer reads the canvas itself.
"""

from typing import Optional

import flax.linen as nn
import jax
import jax.numpy as jnp

from jaxgen.nn.masked_conv import MaskedConv, class_bias, output_layers, pointwise, with_ones


def gate(a: jax.Array) -> jax.Array:
  """``tanh(a_f) * sigmoid(a_g)`` of the two halves of a: [..., 2p] -> [..., p] (van den Oord et al.
  2016b, eq. 2). With p a multiple of the channel count, feature f of both halves is in one group."""
  filters, gates = jnp.split(a, 2, axis=-1)
  return jnp.tanh(filters) * jax.nn.sigmoid(gates)


class GatedLayer(nn.Module):
  """One layer of the Gated PixelCNN (van den Oord et al. 2016b, Figure 2, eq. 4).

  Vertical stack: a down-shifted (k/2 + 1) x k convolution, so its features at row i read rows < i
  only (the first layer shifts by a row; later ones read the previous layer's rows <= i, which
  already see only rows < i). Horizontal stack: a 1 x (k/2 + 1) convolution over the row up to the
  pixel (mask A in the first layer), plus a 1x1 link from the vertical pre-activations at the same
  pixel, gated, a 1x1 convolution and a residual connection (from the second layer on).
  """
  features: int  # p
  kernel_size: int
  channels: int
  first: bool
  num_classes: int
  dropout: float
  conv_impl: str = "xla"  # MaskedConv's ``impl``

  def setup(self):
    k, r = self.kernel_size, self.kernel_size // 2
    p2 = 2 * self.features
    self.drop = nn.Dropout(self.dropout)
    self.vertical = MaskedConv(p2, (r + 1, k), (r + 1 if self.first else r, r), impl=self.conv_impl)
    self.horizontal = MaskedConv(p2, (1, r + 1), (0, r), "A" if self.first else "B", self.channels,
                                 self.conv_impl)
    self.link = nn.Dense(p2)  # Reads rows above only: no within-pixel order to keep.
    self.residual = pointwise(self.features, self.channels, self.conv_impl)
    self.embed_vertical = nn.Embed(self.num_classes, p2) if self.num_classes else None
    self.embed_horizontal = nn.Embed(self.num_classes, p2) if self.num_classes else None

  def vertical_out(self, vertical_pre: jax.Array, labels, train: bool = False) -> jax.Array:
    return self.drop(gate(vertical_pre + class_bias(self.embed_vertical, labels)),
                     deterministic=not train)

  def horizontal_out(self, h, horizontal_pre, vertical_pre, labels, train: bool = False) -> jax.Array:
    gated = gate(horizontal_pre + self.link(vertical_pre) + class_bias(self.embed_horizontal, labels))
    out = self.residual(self.drop(gated, deterministic=not train))
    return out if self.first else h + out


class GatedPixelCNN(nn.Module):
  """Gated layers, then two 1x1 output layers on the horizontal stack (van den Oord et al. 2016b)."""
  features: int  # p
  num_layers: int
  kernel_size: int
  output_features: int
  num_outputs: int
  channels: int
  num_classes: int = 0
  dropout: float = 0.0  # on both stacks' gated outputs, in training only
  conv_impl: str = "xla"  # MaskedConv's ``impl``: "auto" inside a lax.cond or a loop on a CPU

  def setup(self):
    self.layers = [GatedLayer(self.features, self.kernel_size, self.channels, n == 0, self.num_classes,
                              self.dropout, self.conv_impl) for n in range(self.num_layers)]
    self.hidden = pointwise(self.output_features, self.channels, self.conv_impl)
    self.final = pointwise(self.num_outputs, self.channels, self.conv_impl)

  def __call__(self, x: jax.Array, labels: Optional[jax.Array] = None, train: bool = False) -> jax.Array:
    return self.forward(x, labels, train)[0]

  def forward(self, x, labels=None, train=False):
    v = h = with_ones(x)
    caches = {}
    for n, layer in enumerate(self.layers):
      if n == 0:
        vertical_pre = layer.vertical(layer.vertical.pad(v))
        horizontal_pre = layer.horizontal(layer.horizontal.pad(h))
      else:
        vertical_pre, caches[f"vertical_{n}"] = layer.vertical.full(v)
        horizontal_pre, caches[f"horizontal_{n}"] = layer.horizontal.full(h)
      h = layer.horizontal_out(h, horizontal_pre, vertical_pre, labels, train)
      v = layer.vertical_out(vertical_pre, labels, train)
    return output_layers(h, self.hidden, self.final), caches

  def row_step(self, canvas, caches, labels, row):
    """The vertical stack's row ``row`` (it reads rows < row only, all sampled by now): its
    pre-activations [B, 1, W, 2p] per layer, which the row's pixels link to."""
    caches, width = dict(caches), canvas.shape[2]
    vertical_pres = []
    for n, layer in enumerate(self.layers):
      if n == 0:
        vertical_pre = layer.vertical.region(layer.vertical.pad(with_ones(canvas)), row, 0, 1, width)
      else:
        name = f"vertical_{n}"
        caches[name] = layer.vertical.write(caches[name], v, row, 0)
        vertical_pre = layer.vertical.region(caches[name], row, 0, 1, width)
      vertical_pres.append(vertical_pre)
      v = layer.vertical_out(vertical_pre, labels)
    return vertical_pres, caches

  def pixel_step(self, canvas, caches, row_state, labels, row, col):
    caches, h = dict(caches), None
    for n, layer in enumerate(self.layers):
      if n == 0:
        horizontal_pre = layer.horizontal.region(layer.horizontal.pad(with_ones(canvas)), row, col, 1, 1)
      else:
        name = f"horizontal_{n}"
        caches[name] = layer.horizontal.write(caches[name], h, row, col)
        horizontal_pre = layer.horizontal.region(caches[name], row, col, 1, 1)
      vertical_pre = jax.lax.dynamic_slice_in_dim(row_state[n], col, 1, axis=2)
      h = layer.horizontal_out(h, horizontal_pre, vertical_pre, labels)
    return output_layers(h, self.hidden, self.final)[:, 0, 0], caches
