"""Autoencoders: an encoder f(x) -> z and a decoder g(z) -> logits of the reconstruction.

MLP (undercomplete when ``latent_dim`` < input size, overcomplete when larger) and
convolutional (strided convolutions down, transposed convolutions up) variants, from
``jaxgen.nn.encoders``. The decoder
returns pre-activation logits; the experiment maps them to data space with the activation of
the data's range (sigmoid for [0, 1], tanh for [-1, 1], identity for points).
"""

from typing import Sequence

import flax.linen as nn
import jax
import ml_collections

from jaxgen.errors import ConfigError, UnknownNameError
from jaxgen.nn.encoders import (CODE_ACTIVATIONS, ConvDecoder, ConvEncoder, MLPDecoder, MLPEncoder,
                                check_conv_image_shape)

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
