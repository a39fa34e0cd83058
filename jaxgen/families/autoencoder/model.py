"""Autoencoders: an encoder f(x) -> z and a decoder g(z) -> logits of the reconstruction.

MLP (undercomplete when ``latent_dim`` < input size, overcomplete when larger) and
convolutional (strided convolutions down, transposed convolutions up) variants. The decoder
returns pre-activation logits; the experiment maps them to data space with the activation of
the data's range (sigmoid for [0, 1], tanh for [-1, 1], identity for points).
"""

import math
from typing import Sequence

import flax.linen as nn
import jax
import jax.numpy as jnp
import ml_collections

from jaxgen.errors import ConfigError, UnknownNameError

CODE_ACTIVATIONS = {"linear": lambda z: z, "sigmoid": nn.sigmoid, "tanh": jnp.tanh, "relu": nn.relu}


class MLPEncoder(nn.Module):
  """x: [B, *shape] -> z: [B, latent_dim]."""
  hidden: Sequence[int]
  latent_dim: int
  code_activation: str = "linear"

  @nn.compact
  def __call__(self, x: jax.Array) -> jax.Array:
    h = x.reshape(x.shape[0], -1)
    for width in self.hidden:
      h = nn.relu(nn.Dense(width)(h))
    return CODE_ACTIVATIONS[self.code_activation](nn.Dense(self.latent_dim)(h))


class MLPDecoder(nn.Module):
  """z: [B, latent_dim] -> logits: [B, *output_shape]."""
  hidden: Sequence[int]
  output_shape: Sequence[int]

  @nn.compact
  def __call__(self, z: jax.Array) -> jax.Array:
    h = z
    for width in self.hidden:
      h = nn.relu(nn.Dense(width)(h))
    logits = nn.Dense(math.prod(self.output_shape))(h)
    return logits.reshape(z.shape[0], *self.output_shape)


class ConvEncoder(nn.Module):
  """x: [B, H, W, C] -> z: [B, latent_dim]; each feature size halves H and W (stride 2)."""
  features: Sequence[int]
  latent_dim: int
  code_activation: str = "linear"

  @nn.compact
  def __call__(self, x: jax.Array) -> jax.Array:
    h = x
    for width in self.features:
      h = nn.relu(nn.Conv(width, (3, 3), strides=(2, 2), padding="SAME")(h))
    h = h.reshape(h.shape[0], -1)
    return CODE_ACTIVATIONS[self.code_activation](nn.Dense(self.latent_dim)(h))


class ConvDecoder(nn.Module):
  """z: [B, latent_dim] -> logits: [B, H, W, C], mirroring ConvEncoder."""
  features: Sequence[int]
  output_shape: Sequence[int]

  @nn.compact
  def __call__(self, z: jax.Array) -> jax.Array:
    height, width, channels = self.output_shape
    factor = 2 ** len(self.features)
    start = (height // factor, width // factor, self.features[-1])
    h = nn.relu(nn.Dense(math.prod(start))(z)).reshape(z.shape[0], *start)
    for size in reversed(self.features):
      h = nn.relu(nn.ConvTranspose(size, (3, 3), strides=(2, 2), padding="SAME")(h))
    return nn.Conv(channels, (3, 3), padding="SAME")(h)


class Autoencoder(nn.Module):
  """The pair (f, g): ``encode`` x -> z, ``decode`` z -> logits, ``__call__`` x -> (z, logits)."""
  encoder: nn.Module
  decoder: nn.Module

  def encode(self, x: jax.Array) -> jax.Array:
    return self.encoder(x)

  def decode(self, z: jax.Array) -> jax.Array:
    return self.decoder(z)

  def __call__(self, x: jax.Array) -> tuple[jax.Array, jax.Array]:
    z = self.encode(x)
    return z, self.decode(z)


def check_conv_image_shape(features: Sequence[int], data_shape: Sequence[int]) -> None:
  """ConvEncoder/ConvDecoder need [H, W, C] images whose H and W halve ``len(features)`` times."""
  if len(data_shape) != 3:
    raise ConfigError(f"model.name='conv' needs image data [H, W, C]; got shape {tuple(data_shape)}")
  factor = 2 ** len(features)
  if data_shape[0] % factor or data_shape[1] % factor:
    raise ConfigError(f"model.features has {len(features)} stride-2 layers, so the image size "
                      f"{tuple(data_shape[:2])} must be divisible by {factor}")


def build_autoencoder(model_config: ml_collections.ConfigDict, data_shape: Sequence[int]) -> Autoencoder:
  """The autoencoder named by ``config.model.name`` (``mlp`` or ``conv``) for data of ``data_shape``."""
  if model_config.code_activation not in CODE_ACTIVATIONS:
    raise UnknownNameError(f"unknown model.code_activation {model_config.code_activation!r}; "
                           f"valid: {', '.join(CODE_ACTIVATIONS)}")
  if model_config.latent_dim <= 0:
    raise ConfigError(f"model.latent_dim must be > 0, got {model_config.latent_dim}")
  if model_config.name == "mlp":
    return Autoencoder(
        MLPEncoder(tuple(model_config.hidden), model_config.latent_dim, model_config.code_activation),
        MLPDecoder(tuple(reversed(model_config.hidden)), tuple(data_shape)))
  if model_config.name == "conv":
    check_conv_image_shape(model_config.features, data_shape)
    return Autoencoder(
        ConvEncoder(tuple(model_config.features), model_config.latent_dim, model_config.code_activation),
        ConvDecoder(tuple(model_config.features), tuple(data_shape)))
  raise UnknownNameError(f"unknown autoencoder model {model_config.name!r}; valid: conv, mlp")
