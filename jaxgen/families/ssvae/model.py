"""The networks of M1+M2 (Kingma, Rezende, Mohamed & Welling 2014): M1, a VAE of the pixels, and
M2, a semi-supervised VAE of M1's latent code z1.

M1: q(z1|x) = N(mean(x), diag std(x)^2), p(z1) = N(0, I), p(x|z1) a discretized logistic per
pixel whose location and log-scale the decoder computes.
M2: p(y) uniform, p(z2) = N(0, I), p(z1|y, z2) = N(mean(y, z2), diag std(y, z2)^2); the
classifier q(y|z1) and the encoder q(z2|z1, y) = N(mean(z1, y), diag std(z1, y)^2).
M1's decoder is the shared ``MLPDecoder``; every other network is ``MLP``, whose last layer
starts at zero. A class enters a network as a one-hot vector.
"""

from typing import Sequence

import flax.linen as nn
import jax
import jax.numpy as jnp

from jaxgen.nn.encoders import MLPDecoder
from jaxgen.nn.gaussian import reparameterize


class MLP(nn.Module):
  """h: [B, ...] -> [B, outputs]: ReLU layers of widths ``hidden``, then a linear layer that
  starts at zero, so every distribution starts as its prior: q(y|z1) uniform, q(z2|z1, y) and
  p(z1|y, z2) N(0, I) (the paper's code starts from weights of scale 1e-3). With flax's default
  initialisation M2's first bounds on z1 reached 1e16 nats and its classifier collapsed onto
  one class (3% validation accuracy on digits, against 92% from this start)."""
  hidden: Sequence[int]
  outputs: int

  @nn.compact
  def __call__(self, h: jax.Array) -> jax.Array:
    h = h.reshape(h.shape[0], -1)
    for width in self.hidden:
      h = nn.relu(nn.Dense(width)(h))
    return nn.Dense(self.outputs, kernel_init=nn.initializers.zeros)(h)


class GaussianMLP(nn.Module):
  """h: [B, D] -> (mean, log_std): [B, K] each, of a diagonal Gaussian an MLP computes."""
  hidden: Sequence[int]
  latent_dim: int

  @nn.compact
  def __call__(self, h: jax.Array) -> tuple[jax.Array, jax.Array]:
    mean, log_std = jnp.split(MLP(self.hidden, 2 * self.latent_dim)(h), 2, axis=-1)
    return mean, log_std


class M1(nn.Module):
  """The VAE of the pixels: ``encode`` x -> q(z1|x), ``decode`` z1 -> p(x|z1).

  The decoder mirrors the encoder's widths and emits a location and a log-scale per pixel; the
  log-scale is floored at ``min_log_scale`` (PixelCNN++'s -7) because the digits' border pixels
  are always 0, and a learned scale there would shrink without end.
  """
  hidden: Sequence[int]
  latent_dim: int
  data_shape: Sequence[int]
  min_log_scale: float = -7.0

  def setup(self):
    self.encoder = GaussianMLP(self.hidden, self.latent_dim)
    *pixels, channels = self.data_shape
    self.decoder = MLPDecoder(tuple(reversed(self.hidden)), (*pixels, 2 * channels))

  def encode(self, x: jax.Array) -> tuple[jax.Array, jax.Array]:
    """x: [B, H, W, C] -> (mean, log_std): [B, K1] each."""
    return self.encoder(x)

  def decode(self, z1: jax.Array) -> tuple[jax.Array, jax.Array]:
    """z1: [B, K1] -> (loc, log_scale): [B, H, W, C] each, of the discretized logistic."""
    outputs = self.decoder(z1).reshape(z1.shape[0], *self.data_shape, 2)
    return outputs[..., 0], jnp.maximum(outputs[..., 1], self.min_log_scale)

  def __call__(self, x: jax.Array, noise: jax.Array):
    """x: [B, H, W, C]; noise: [B, K1] ~ N(0, I) -> ((mean, log_std) [B, K1], z1 [B, K1],
    (loc, log_scale) [B, H, W, C]) with z1 = mean + std * noise, reparameterized."""
    mean, log_std = self.encode(x)
    z1 = reparameterize(mean, log_std, noise)
    return (mean, log_std), z1, self.decode(z1)


class M2(nn.Module):
  """The semi-supervised VAE of z1: ``classify`` z1 -> q(y|z1), ``encode`` (z1, y) -> q(z2|z1,y),
  ``decode`` (y, z2) -> p(z1|y,z2). Classes are one-hot [..., num_classes]."""
  hidden: Sequence[int]
  latent_dim: int  # z2
  z1_dim: int
  num_classes: int

  def setup(self):
    self.classifier = MLP(self.hidden, self.num_classes)
    self.encoder = GaussianMLP(self.hidden, self.latent_dim)
    self.decoder = GaussianMLP(self.hidden, self.z1_dim)

  def classify(self, z1: jax.Array) -> jax.Array:
    """z1: [B, K1] -> the logits of q(y|z1): [B, num_classes]."""
    return self.classifier(z1)

  def encode(self, z1: jax.Array, y: jax.Array) -> tuple[jax.Array, jax.Array]:
    """z1: [B, K1], y: [B, num_classes] -> (mean, log_std) of q(z2|z1,y): [B, K2] each."""
    return self.encoder(jnp.concatenate([z1, y], axis=-1))

  def decode(self, y: jax.Array, z2: jax.Array) -> tuple[jax.Array, jax.Array]:
    """y: [B, num_classes], z2: [B, K2] -> (mean, log_std) of p(z1|y,z2): [B, K1] each."""
    return self.decoder(jnp.concatenate([y, z2], axis=-1))

  def __call__(self, z1: jax.Array, noise: jax.Array):
    """z1: [B, K1]; noise: [Y, B, K2] ~ N(0, I), one draw per class -> (logits [B, Y],
    (mean, log_std) of q(z2|z1,y) [Y, B, K2], z2 [Y, B, K2], (mean, log_std) of p(z1|y,z2)
    [Y, B, K1]): M2's outputs for every class y of every example, as the bounds need them."""
    num_classes, batch = noise.shape[:2]
    # Every (class, example) pair is one row of the networks: [Y * B, ...].
    y = jnp.repeat(jnp.eye(num_classes), batch, axis=0)
    z1_rows = jnp.tile(z1, (num_classes, 1))
    mean, log_std = self.encode(z1_rows, y)
    z2 = reparameterize(mean, log_std, noise.reshape(num_classes * batch, -1))
    decoded = self.decode(y, z2)
    per_class = lambda a: a.reshape(num_classes, batch, -1)
    return (self.classify(z1), (per_class(mean), per_class(log_std)), per_class(z2),
            tuple(per_class(a) for a in decoded))
