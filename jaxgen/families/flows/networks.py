"""Conditioner networks of the coupling layers: x_a -> the parameters of the map applied to x_b.

Each maps the masked input ``[B, *shape]`` to ``[B, *shape, outputs_per_element]``: one number per
element for an additive coupling (the shift), two for an affine one (shift and raw log-scale).
Their last layer is zero-initialised (Glow, sec. 3.3) so that every coupling starts as the
identity (or, with Glow's sigmoid scale, a constant scaling), which trains deep flows stably.
A network need not be invertible: the coupling's structure makes the layer invertible.
"""

import math
from typing import Sequence

import flax.linen as nn
import jax
import jax.numpy as jnp

from jaxgen.nn import conv


class ZeroConv(nn.Module):
  """Glow's ``conv2d_zeros``: a convolution with zero-initialised kernel and bias whose output is
  multiplied by ``exp(log_scale_factor * s)``, s a learned per-channel vector starting at 0 (the
  factor speeds up learning of the output's scale). x: [B, H, W, C] -> [B, H, W, features]."""
  features: int
  kernel_size: int = 3
  log_scale_factor: float = 3.0
  conv: str = "auto"  # conv.IMPLS: auto | im2col | xla

  @nn.compact
  def __call__(self, x: jax.Array) -> jax.Array:
    h = conv.Conv(self.features, self.kernel_size, kernel_init=nn.initializers.zeros,
                  impl=self.conv)(x)
    log_scale = self.param("log_scale", nn.initializers.zeros, (self.features,))
    return h * jnp.exp(self.log_scale_factor * log_scale)


class ZeroDense(nn.Module):
  """ZeroConv's vector counterpart. x: [B, K] -> [B, features]."""
  features: int
  log_scale_factor: float = 3.0

  @nn.compact
  def __call__(self, x: jax.Array) -> jax.Array:
    h = nn.Dense(self.features, kernel_init=nn.initializers.zeros)(x)
    log_scale = self.param("log_scale", nn.initializers.zeros, (self.features,))
    return h * jnp.exp(self.log_scale_factor * log_scale)


class MLP(nn.Module):
  """ReLU MLP on the flattened input (NICE's coupling function; RealNVP/Glow on 2-D data).
  x: [B, *shape] -> [B, *shape, outputs_per_element]."""
  hidden: Sequence[int]
  outputs_per_element: int

  @nn.compact
  def __call__(self, x: jax.Array) -> jax.Array:
    h = x.reshape(x.shape[0], -1)
    for width in self.hidden:
      h = nn.relu(nn.Dense(width)(h))
    out = ZeroDense(math.prod(x.shape[1:]) * self.outputs_per_element)(h)
    return out.reshape(*x.shape, self.outputs_per_element)


class ConvNet(nn.Module):
  """Glow's coupling network ``NN()``: 3x3 conv, ReLU, 1x1 conv, ReLU, zero-initialised 3x3 conv.
  x: [B, H, W, C] -> [B, H, W, C, outputs_per_element]."""
  features: int
  outputs_per_element: int
  conv: str = "auto"  # conv.IMPLS: auto | im2col | xla

  @nn.compact
  def __call__(self, x: jax.Array) -> jax.Array:
    h = nn.relu(conv.Conv(self.features, 3, impl=self.conv)(x))
    h = nn.relu(conv.Conv(self.features, 1, impl=self.conv)(h))
    out = ZeroConv(x.shape[-1] * self.outputs_per_element, conv=self.conv)(h)
    return out.reshape(*x.shape, self.outputs_per_element)


class ResNet(nn.Module):
  """RealNVP's coupling network: a 3x3 conv to ``features`` maps, ``num_blocks`` residual blocks
  (ReLU, 3x3 conv, ReLU, 3x3 conv, plus the skip), ReLU, zero-initialised 3x3 conv.
  x: [B, H, W, C] -> [B, H, W, C, outputs_per_element]."""
  features: int
  num_blocks: int
  outputs_per_element: int
  conv: str = "auto"  # conv.IMPLS: auto | im2col | xla

  @nn.compact
  def __call__(self, x: jax.Array) -> jax.Array:
    conv3x3 = lambda: conv.Conv(self.features, 3, impl=self.conv)
    h = conv3x3()(x)
    for _ in range(self.num_blocks):
      residual = conv3x3()(nn.relu(h))
      h = h + conv3x3()(nn.relu(residual))
    out = ZeroConv(x.shape[-1] * self.outputs_per_element, conv=self.conv)(nn.relu(h))
    return out.reshape(*x.shape, self.outputs_per_element)
