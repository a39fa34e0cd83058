"""The VQ-VAE's networks (van den Oord et al. 2017, Section 4.1): a convolutional encoder to a map
of D-dimensional vectors, its mirror decoding the quantized map to the parameters of a
discretized logistic per pixel, and the priors over code maps (``PRIORS``): a Gated PixelCNN
(``jaxgen/nn/gated_pixelcnn.py``) on an embedding of the codes, or a Transformer decoder
(``jaxgen/nn/transformer.py``) over the map read in raster order.

Convolutions are ``jaxgen/nn/conv.py``'s (im2col on the CPU); each of the ``features`` layers
halves the image's sides (stride 2), so 28x28 with two layers gives a 7x7 code map.
"""

from typing import Optional, Sequence

import flax.linen as nn
import jax
import jax.numpy as jnp
import ml_collections

from jaxgen.nn import attention, conv
from jaxgen.nn.autoregressive import shift_right
from jaxgen.nn.gated_pixelcnn import GatedPixelCNN
from jaxgen.nn.transformer import TransformerLM


class ResidualBlock(nn.Module):
  """``h + 1x1(ReLU(3x3(ReLU(h))))``, the paper's residual block: [B, h, w, F] -> [B, h, w, F]."""
  hidden: int

  @nn.compact
  def __call__(self, h: jax.Array) -> jax.Array:
    inner = conv.Conv(self.hidden, 3)(nn.relu(h))
    return h + conv.Conv(h.shape[-1], 1)(nn.relu(inner))


class Encoder(nn.Module):
  """x: [B, H, W, C] -> z_e: [B, H / 2^n, W / 2^n, code_dim], n = len(features): stride-2 3x3
  convolutions, residual blocks, then a 1x1 convolution to the code space."""
  features: Sequence[int]
  num_residual: int
  code_dim: int

  @nn.compact
  def __call__(self, x: jax.Array) -> jax.Array:
    h = x
    for width in self.features:
      h = nn.relu(conv.Conv(width, 3, stride=2)(h))
    for _ in range(self.num_residual):
      h = ResidualBlock(self.features[-1])(h)
    return conv.Conv(self.code_dim, 1)(nn.relu(h))


class Decoder(nn.Module):
  """z_q: [B, h, w, D] -> (loc, log_scale): [B, h 2^n, w 2^n, channels] each, of the discretized
  logistic per pixel: the encoder's mirror (stride-2 transposed convolutions). The log-scale is
  floored at ``min_log_scale`` (PixelCNN++'s -7): the digits' border pixels are always 0, and a
  learned scale there would shrink without end."""
  features: Sequence[int]
  num_residual: int
  channels: int
  min_log_scale: float = -7.0

  @nn.compact
  def __call__(self, z_q: jax.Array) -> tuple[jax.Array, jax.Array]:
    h = conv.Conv(self.features[-1], 3)(z_q)
    for _ in range(self.num_residual):
      h = ResidualBlock(self.features[-1])(h)
    for width in reversed(self.features):
      h = conv.ConvTranspose(width, 3)(nn.relu(h))
    loc, log_scale = jnp.split(conv.Conv(2 * self.channels, 3)(nn.relu(h)), 2, axis=-1)
    return loc, jnp.maximum(log_scale, self.min_log_scale)


class VQVAE(nn.Module):
  """``encode`` x -> z_e and ``decode`` z_q -> p(x|z_q); the quantizer between them
  (``quantizer.py``) is no module: its codebook is EMA state, not a parameter."""
  features: Sequence[int]
  num_residual: int
  code_dim: int
  channels: int
  min_log_scale: float = -7.0

  def setup(self):
    self.encoder = Encoder(self.features, self.num_residual, self.code_dim)
    self.decoder = Decoder(self.features, self.num_residual, self.channels, self.min_log_scale)

  def encode(self, x: jax.Array) -> jax.Array:
    return self.encoder(x)

  def decode(self, z_q: jax.Array) -> tuple[jax.Array, jax.Array]:
    return self.decoder(z_q)

  def __call__(self, x: jax.Array) -> tuple[jax.Array, tuple[jax.Array, jax.Array]]:
    """x -> (z_e, decoder outputs at z_e): what ``init`` needs to create every parameter."""
    z_e = self.encode(x)
    return z_e, self.decode(z_e)


class PixelCNNPrior(nn.Module):
  """codes: [B, h, w] int in [0, num_codes) (labels [B] when conditional) -> logits [B, h, w,
  num_codes] of each code given the codes before it in raster order (and the label).

  The codes enter as learned embeddings of ``features`` channels, one channel group (no order
  inside a position): the Gated PixelCNN's first layer then never reads a position's own code.
  ``forward``, ``row_step`` and ``pixel_step`` are the network's cached entry points
  (``jaxgen/nn/gated_pixelcnn.py``) on the embedded codes, which sampling uses.
  """
  num_codes: int
  features: int  # p: the embedding's and each stack's width
  num_layers: int
  kernel_size: int
  output_features: int
  num_classes: int = 0
  dropout: float = 0.0

  def setup(self):
    self.embed = nn.Embed(self.num_codes, self.features)
    # im2col on the CPU: the prior trains inside the train step's lax.cond and samples inside a
    # loop, where XLA:CPU's own convolutions run 10-20x slower.
    self.network = GatedPixelCNN(self.features, self.num_layers, self.kernel_size,
                                 self.output_features, self.num_codes, 1, self.num_classes,
                                 self.dropout, conv_impl="auto")

  def __call__(self, codes: jax.Array, labels: Optional[jax.Array] = None,
               train: bool = False) -> jax.Array:
    return self.network(self.embed(codes), labels, train)

  def forward(self, codes, labels=None):
    return self.network.forward(self.embed(codes), labels)

  def row_step(self, codes, caches, labels, row):
    return self.network.row_step(self.embed(codes), caches, labels, row)

  def pixel_step(self, codes, caches, row_state, labels, row, col):
    return self.network.pixel_step(self.embed(codes), caches, row_state, labels, row, col)


class TransformerPrior(nn.Module):
  """codes: [B, h, w] int in [0, num_codes) (labels [B] when conditional) -> logits [B, h, w,
  num_codes]: the map read in raster order as h * w tokens behind the start token K, output t
  predicting code t from the codes before it (and the label: a class embedding added at every
  position). ``step`` runs a few new tokens at ``position`` with the network's key/value cache
  (``empty_cache``), which sampling (``nn.autoregressive.draw``) uses."""
  num_codes: int
  length: int  # h * w
  width: int
  num_layers: int
  num_heads: int
  num_classes: int = 0
  dropout: float = 0.0

  def setup(self):
    self.network = TransformerLM(self.num_codes, self.length, self.width, self.num_layers,
                                 self.num_heads, self.dropout, num_classes=self.num_classes)

  def __call__(self, codes: jax.Array, labels: Optional[jax.Array] = None,
               train: bool = False) -> jax.Array:
    tokens = codes.reshape(codes.shape[0], -1)
    logits, _ = self.network(shift_right(tokens, self.num_codes), train=train, labels=labels)
    return logits.reshape(*codes.shape, self.num_codes)

  def step(self, inputs: jax.Array, cache: list, position, labels: Optional[jax.Array] = None):
    """inputs [B, T'] at ``position`` -> (logits [B, T', num_codes], cache)."""
    return self.network(inputs, cache, position, labels=labels)

  def empty_cache(self, batch_size: int) -> list:
    return [attention.empty_cache(batch_size, self.length, self.num_heads,
                                  self.width // self.num_heads)] * self.num_layers


PRIORS = ("gated_pixelcnn", "transformer")


def prior_name(config: ml_collections.ConfigDict) -> str:
  return config.get("name", "gated_pixelcnn")  # absent from workdirs older than the Transformer


def build_prior(config: ml_collections.ConfigDict, num_codes: int, code_shape: tuple,
                num_classes: int) -> nn.Module:
  """The prior ``config.name`` names (``PRIORS``) over [h, w] = ``code_shape`` maps of
  ``num_codes`` codes: ``features`` is the Gated PixelCNN's p or the Transformer's width."""
  if prior_name(config) == "transformer":
    return TransformerPrior(num_codes, code_shape[0] * code_shape[1], config.features,
                            config.num_layers, config.num_heads, num_classes, config.dropout)
  return PixelCNNPrior(num_codes, config.features, config.num_layers, config.kernel_size,
                       config.output_features, num_classes, config.dropout)
