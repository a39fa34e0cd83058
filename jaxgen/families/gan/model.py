"""GAN networks: a generator G(z[, y]) -> x and a discriminator D(x[, y]) -> logit.

MLPs for 2-D data (PacGAN's: ReLU generator, maxout discriminator) and DCGAN (Radford et al.
2016) convolutional pairs sized by the image shape. Class-conditional variants feed the
generator a one-hot label concatenated to z (Mirza & Osindero 2014) and give the discriminator
either the same concatenation or a projection head (Miyato & Koyama 2018).

Batch norm, where used, normalizes with batch statistics (``normalize``); apply the networks with
``mutable=["batch_stats"]`` and drop the running averages they update.

The discriminator sees ``pack`` samples at once (PacGAN, Lin et al. 2018): the experiment packs
them with ``pack_samples`` before calling it, so D's input is ``[B / pack, pack * D]`` for
points and ``[B / pack, H, W, pack * C]`` for images, and D itself is unchanged.
"""

import math
from typing import Optional, Sequence

import flax.linen as nn
import jax
import jax.numpy as jnp
import ml_collections

from jaxgen.errors import ConfigError, UnknownNameError
from jaxgen.nn.conv import IMPLS as CONV_IMPLS, Conv2D, ConvTranspose2D

# The generator starts at this spatial size and doubles it with each transposed convolution.
DCGAN_START_SIZE = {8: 2, 28: 7, 32: 4, 64: 4}
NORMS = ("batch", "layer", "none")
ACTIVATIONS = ("maxout", "leaky_relu", "relu")
CONDITIONINGS = ("projection", "concat")
MODELS = ("mlp", "dcgan")


class Maxout(nn.Module):
  """x: [B, D_in] -> [B, units]: the max over ``pieces`` affine maps (Goodfellow et al. 2013).

  ``h_j = max_k (W x + b)_{j,k}``, k = 1..pieces.
  """
  units: int
  pieces: int

  @nn.compact
  def __call__(self, x: jax.Array) -> jax.Array:
    h = nn.Dense(self.units * self.pieces)(x)
    return jnp.max(h.reshape(*x.shape[:-1], self.units, self.pieces), axis=-1)


def normalize(h: jax.Array, kind: str) -> jax.Array:
  """Batch norm, layer norm over every axis but the batch's, or nothing. h: [B, ...].

  Batch norm always normalizes with the statistics of the batch it is given, in training and in
  evaluation (see GanExperiment.decode), so its running averages are never read. Call inside a
  compact module.
  """
  if kind == "batch":
    return nn.BatchNorm(use_running_average=False)(h)
  if kind == "layer":
    return nn.LayerNorm(reduction_axes=tuple(range(1, h.ndim)))(h)
  return h


def one_hot(labels: Optional[jax.Array], num_classes: int) -> Optional[jax.Array]:
  return None if labels is None else jax.nn.one_hot(labels, num_classes)


class MLPGenerator(nn.Module):
  """z: [B, latent_dim] (labels: [B] int) -> x: [B, *output_shape], before the output activation."""
  hidden: Sequence[int]
  output_shape: Sequence[int]
  norm: str = "none"
  num_classes: int = 0  # > 0: class-conditional, the one-hot label is concatenated to z.

  @nn.compact
  def __call__(self, z: jax.Array, labels: Optional[jax.Array] = None):
    h = z if not self.num_classes else jnp.concatenate([z, one_hot(labels, self.num_classes)], -1)
    for width in self.hidden:
      # A bias before batch norm is cancelled by its mean subtraction (PacGAN uses none).
      h = nn.Dense(width, use_bias=self.norm != "batch")(h)
      h = nn.relu(normalize(h, self.norm))
    x = nn.Dense(math.prod(self.output_shape))(h)
    return x.reshape(z.shape[0], *self.output_shape)


class MLPDiscriminator(nn.Module):
  """x: [B, ...] (labels: [B] int) -> logits [B]; hidden units maxout, leaky ReLU or ReLU."""
  hidden: Sequence[int]
  activation: str = "maxout"
  maxout_pieces: int = 5
  norm: str = "none"
  num_classes: int = 0
  conditioning: str = "projection"

  @nn.compact
  def __call__(self, x: jax.Array, labels: Optional[jax.Array] = None):
    h = x.reshape(x.shape[0], -1)
    if self.num_classes and self.conditioning == "concat":
      h = jnp.concatenate([h, one_hot(labels, self.num_classes)], -1)
    for width in self.hidden:
      if self.activation == "maxout":
        h = Maxout(width, self.maxout_pieces)(h)
      else:
        h = nn.Dense(width)(h)
        h = nn.leaky_relu(h, 0.2) if self.activation == "leaky_relu" else nn.relu(h)
      h = normalize(h, self.norm)
    return output_head(h, labels, self.num_classes, self.conditioning)


def output_head(features: jax.Array, labels: Optional[jax.Array], num_classes: int,
                conditioning: str) -> jax.Array:
  """features: [B, F] -> logits [B]: ``w.h + b``, plus ``embed(y).h`` for projection conditioning.

  Must be called inside a compact module (it creates that module's parameters).
  """
  logits = nn.Dense(1)(features)[:, 0]
  if num_classes and conditioning == "projection":
    embedding = nn.Embed(num_classes, features.shape[-1], name="class_projection")(labels)
    logits = logits + jnp.sum(embedding * features, axis=-1)
  return logits


class DCGANGenerator(nn.Module):
  """z: [B, latent_dim] (labels: [B]) -> x: [B, H, W, C], before the output activation.

  Dense projection to ``start x start x features * 2^(s-1)``, then s stride-2 transposed
  convolutions halving the channels (batch norm + ReLU on all but the last), where
  ``start = DCGAN_START_SIZE[H]`` and ``H = start * 2^s``.
  """
  output_shape: Sequence[int]
  features: int = 64
  kernel_size: int = 5
  norm: str = "batch"
  num_classes: int = 0
  conv: str = "auto"  # conv.IMPLS

  @nn.compact
  def __call__(self, z: jax.Array, labels: Optional[jax.Array] = None):
    height, _, channels = self.output_shape
    start, stages = dcgan_geometry(height)
    h = z if not self.num_classes else jnp.concatenate([z, one_hot(labels, self.num_classes)], -1)
    widths = [self.features * 2 ** i for i in reversed(range(stages))]
    h = nn.Dense(start * start * widths[0], use_bias=self.norm != "batch")(h)
    h = h.reshape(z.shape[0], start, start, widths[0])
    h = nn.relu(normalize(h, self.norm))
    for width in widths[1:]:
      h = ConvTranspose2D(width, self.kernel_size, 2, use_bias=self.norm != "batch",
                          impl=self.conv)(h)
      h = nn.relu(normalize(h, self.norm))
    return ConvTranspose2D(channels, self.kernel_size, 2, impl=self.conv)(h)


class DCGANDiscriminator(nn.Module):
  """x: [B, H, W, C'] (labels: [B]) -> logits [B], mirroring DCGANGenerator.

  s stride-2 convolutions with ``features * 2^i`` channels and leaky ReLU (0.2); normalization
  on all but the first (DCGAN; WGAN-GP's critic uses none), then a linear (or projection) head.
  """
  features: int = 64
  kernel_size: int = 5
  norm: str = "batch"
  num_classes: int = 0
  conditioning: str = "projection"
  conv: str = "auto"  # conv.IMPLS

  @nn.compact
  def __call__(self, x: jax.Array, labels: Optional[jax.Array] = None):
    _, stages = dcgan_geometry(x.shape[1])
    h = x
    if self.num_classes and self.conditioning == "concat":
      planes = one_hot(labels, self.num_classes)[:, None, None, :]
      h = jnp.concatenate([h, jnp.broadcast_to(planes, (*x.shape[:3], self.num_classes))], -1)
    for i in range(stages):
      h = Conv2D(self.features * 2 ** i, self.kernel_size, 2, impl=self.conv)(h)
      if i > 0:
        h = normalize(h, self.norm)
      h = nn.leaky_relu(h, 0.2)
    return output_head(h.reshape(h.shape[0], -1), labels, self.num_classes, self.conditioning)


def dcgan_geometry(height: int) -> tuple[int, int]:
  """-> (start size, number of stride-2 stages) for square images of ``height``."""
  if height not in DCGAN_START_SIZE:
    raise ConfigError(f"DCGAN models are sized for images of {sorted(DCGAN_START_SIZE)} pixels "
                      f"square; got {height}")
  start = DCGAN_START_SIZE[height]
  return start, int(round(math.log2(height // start)))


def _check_choice(value: str, valid: Sequence[str], field: str) -> None:
  if value not in valid:
    raise UnknownNameError(f"unknown {field} {value!r}; valid: {', '.join(valid)}")


def build_gan(model_config: ml_collections.ConfigDict, data_shape: Sequence[int],
              num_classes: int) -> tuple[nn.Module, nn.Module]:
  """The (generator, discriminator) pair of ``config.model`` for data of ``data_shape``.

  ``num_classes`` > 0 makes both class-conditional.
  """
  c = model_config
  _check_choice(c.generator, MODELS, "model.generator")
  _check_choice(c.discriminator, MODELS, "model.discriminator")
  _check_choice(c.g_norm, NORMS, "model.g_norm")
  _check_choice(c.d_norm, NORMS, "model.d_norm")
  _check_choice(c.d_activation, ACTIVATIONS, "model.d_activation")
  _check_choice(c.conditioning, CONDITIONINGS, "model.conditioning")
  _check_choice(c.conv, CONV_IMPLS, "model.conv")
  if "dcgan" in (c.generator, c.discriminator):
    if len(data_shape) != 3 or data_shape[0] != data_shape[1]:
      raise ConfigError(f"DCGAN models need square images [H, H, C]; got shape {tuple(data_shape)}")
    dcgan_geometry(data_shape[0])
  if c.generator == "mlp":
    generator = MLPGenerator(tuple(c.g_hidden), tuple(data_shape), c.g_norm, num_classes)
  else:
    generator = DCGANGenerator(tuple(data_shape), c.features, c.kernel_size, c.g_norm, num_classes,
                               c.conv)
  if c.discriminator == "mlp":
    discriminator = MLPDiscriminator(tuple(c.d_hidden), c.d_activation, c.maxout_pieces, c.d_norm,
                                     num_classes, c.conditioning)
  else:
    discriminator = DCGANDiscriminator(c.features, c.kernel_size, c.d_norm, num_classes,
                                       c.conditioning, c.conv)
  return generator, discriminator


def pack_samples(x: jax.Array, pack: int) -> jax.Array:
  """PacGAN packing: ``pack`` consecutive samples become one discriminator input.

  x: [B, D] -> [B / pack, pack * D] (points, concatenated); x: [B, H, W, C] ->
  [B / pack, H, W, pack * C] (images, stacked along channels, as PacGAN's convolutional models).
  """
  grouped = x.reshape(x.shape[0] // pack, pack, *x.shape[1:])
  grouped = jnp.moveaxis(grouped, 1, -2)  # [B / pack, ..., pack, C]
  return grouped.reshape(*grouped.shape[:-2], pack * x.shape[-1])
