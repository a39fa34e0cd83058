"""MLP and convolutional encoders x -> z and decoders z -> [B, *shape], shared by the autoencoder
and VAE families (the VAE's networks emit 2K numbers for its posterior from the same encoders)."""

import math
from typing import Sequence

import flax.linen as nn
import jax
import jax.numpy as jnp

from jaxgen.errors import ConfigError
from jaxgen.nn import conv

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
      h = nn.relu(conv.Conv(width, 3, stride=2)(h))
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
      h = nn.relu(conv.ConvTranspose(size, 3)(h))
    return conv.Conv(channels, 3)(h)


def check_conv_image_shape(features: Sequence[int], data_shape: Sequence[int]) -> None:
  """ConvEncoder/ConvDecoder need [H, W, C] images whose H and W halve ``len(features)`` times."""
  if len(data_shape) != 3:
    raise ConfigError(f"model.name='conv' needs image data [H, W, C]; got shape {tuple(data_shape)}")
  factor = 2 ** len(features)
  if data_shape[0] % factor or data_shape[1] % factor:
    raise ConfigError(f"model.features has {len(features)} stride-2 layers, so the image size "
                      f"{tuple(data_shape[:2])} must be divisible by {factor}")
