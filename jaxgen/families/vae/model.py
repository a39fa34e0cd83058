"""The VAE's networks: a Gaussian encoder q(z|x) and a decoder of the parameters of p(x|z).

Both wrap the shared MLP and convolutional networks (``jaxgen.nn.encoders``): the encoder
network emits 2K numbers split into the posterior mean and log standard deviation, the decoder
network emits one or two numbers per data value (the observation model's location, and its
log-scale when the network predicts it).
``hidden = ()`` makes both linear (the linear VAE of Lucas et al. 2019).
"""

import math
from typing import Optional, Sequence

import flax.linen as nn
import jax
import jax.numpy as jnp
import ml_collections

from jaxgen.errors import ConfigError, UnknownNameError
from jaxgen.nn.encoders import (ConvDecoder, ConvEncoder, MLPDecoder, MLPEncoder,
                                check_conv_image_shape)
from jaxgen.nn.gaussian import reparameterize

# Where the decoder's log-scale comes from: none (Bernoulli), the network (per value, depends
# on z), a constant, one learned scalar, or one learned value per data dimension.
SCALES = ("none", "network", "fixed", "shared", "per_pixel")


class GaussianEncoder(nn.Module):
  """x: [B, *shape] -> (mean, log_std): [B, K] each, of q(z|x) = N(mean, diag(exp(2 log_std)))."""
  network: nn.Module  # x -> [B, 2K]

  def __call__(self, x: jax.Array) -> tuple[jax.Array, jax.Array]:
    mean, log_std = jnp.split(self.network(x), 2, axis=-1)
    return mean, log_std


class Decoder(nn.Module):
  """z: [B, K] -> (loc, log_scale): [B, *data_shape] each (log_scale None when scale='none').

  ``loc`` is the Bernoulli logit or the Gaussian/logistic location; learned log-scales are
  floored at ``min_log_scale`` (PixelCNN++'s -7) so a constant pixel cannot drive its density
  to infinity.
  """
  network: nn.Module  # z -> [B, *data_shape[:-1], data_shape[-1] * (2 if scale == "network" else 1)]
  data_shape: Sequence[int]
  scale: str
  scale_value: float = 1.0  # the fixed scale, or the initial one of a learned scale
  min_log_scale: float = -7.0

  @nn.compact
  def __call__(self, z: jax.Array) -> tuple[jax.Array, Optional[jax.Array]]:
    outputs = self.network(z).reshape(z.shape[0], *self.data_shape, -1)
    loc = outputs[..., 0]
    if self.scale == "none":
      return loc, None
    if self.scale == "fixed":
      return loc, jnp.full_like(loc, math.log(self.scale_value))
    if self.scale == "network":
      log_scale = outputs[..., 1]
    else:
      shape = () if self.scale == "shared" else tuple(self.data_shape)
      log_scale = self.param("log_scale", nn.initializers.constant(math.log(self.scale_value)), shape)
    return loc, jnp.broadcast_to(jnp.maximum(log_scale, self.min_log_scale), loc.shape)


class VAE(nn.Module):
  """``encode`` x -> q(z|x), ``decode`` z -> p(x|z), ``__call__`` both through z = mean + std * noise."""
  encoder: GaussianEncoder
  decoder: Decoder

  def encode(self, x: jax.Array) -> tuple[jax.Array, jax.Array]:
    return self.encoder(x)

  def decode(self, z: jax.Array) -> tuple[jax.Array, Optional[jax.Array]]:
    return self.decoder(z)

  def __call__(self, x: jax.Array, noise: jax.Array):
    """x: [B, *shape]; noise: [S, B, K] -> ((mean, log_std) [B, K], z [S, B, K],
    (loc, log_scale) [S, B, *shape])."""
    mean, log_std = self.encode(x)
    z = reparameterize(mean, log_std, noise)
    loc, log_scale = self.decode(z.reshape(-1, z.shape[-1]))
    unflatten = lambda a: None if a is None else a.reshape(*z.shape[:2], *a.shape[1:])
    return (mean, log_std), z, (unflatten(loc), unflatten(log_scale))


def build_vae(model_config: ml_collections.ConfigDict, data_shape: Sequence[int]) -> VAE:
  """The VAE of ``config.model`` (``name`` mlp or conv) for data of ``data_shape``."""
  c = model_config
  if c.scale not in SCALES:
    raise UnknownNameError(f"unknown model.scale {c.scale!r}; valid: {', '.join(SCALES)}")
  if c.latent_dim <= 0:
    raise ConfigError(f"model.latent_dim must be > 0, got {c.latent_dim}")
  if c.scale in ("fixed", "shared", "per_pixel") and c.scale_value <= 0:
    raise ConfigError(f"model.scale_value must be > 0, got {c.scale_value}")
  outputs_per_value = 2 if c.scale == "network" else 1
  network_shape = (*data_shape[:-1], data_shape[-1] * outputs_per_value)
  if c.name == "mlp":
    encoder = MLPEncoder(tuple(c.hidden), 2 * c.latent_dim)
    decoder = MLPDecoder(tuple(reversed(c.hidden)), network_shape)
  elif c.name == "conv":
    check_conv_image_shape(c.features, data_shape)
    encoder = ConvEncoder(tuple(c.features), 2 * c.latent_dim)
    decoder = ConvDecoder(tuple(c.features), network_shape)
  else:
    raise UnknownNameError(f"unknown VAE model {c.name!r}; valid: conv, mlp")
  return VAE(GaussianEncoder(encoder),
             Decoder(decoder, tuple(data_shape), c.scale, c.scale_value, c.min_log_scale))
