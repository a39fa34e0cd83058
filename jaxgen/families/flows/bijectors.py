"""The bijector interface of the flows family, and composition.

A bijector is a Flax module with two methods,

  forward(x) -> (y, log_det)    log_det = log |det dy/dx|, one value per example: [B]
  inverse(y) -> (x, log_det)    log_det = log |det dx/dy| = -(forward's log_det at x)

on a batch ``x: [B, D]`` (vectors: 2-D toys, tabular data) or ``[B, H, W, C]`` (images,
channels last). Every bijector keeps the shape of its input except ``Squeeze``, which trades
space for channels. Parameters are created on the first call of ``forward`` (``Flow.init``
runs the flow forward on a batch of data, which is what data-dependent initialisation needs).
"""

from typing import Sequence

import flax.linen as nn
import jax
import jax.numpy as jnp


def sum_except_batch(values: jax.Array) -> jax.Array:
  """[B, ...] -> [B]."""
  return values.reshape(values.shape[0], -1).sum(axis=1)


def spatial_size(x: jax.Array) -> int:
  """The number of positions a per-channel map is applied at: H * W for [B, H, W, C], 1 for
  [B, D]. A per-channel log-determinant counts once per position."""
  size = 1
  for dim in x.shape[1:-1]:
    size *= dim
  return size


class Bijector(nn.Module):
  """Base class of the bijectors: each subclass defines ``forward`` and ``inverse`` with the
  signatures and log-determinant conventions of the module docstring."""


class Chain(Bijector):
  """``layers[-1] o ... o layers[0]``: forward applies the layers in order, inverse in reverse;
  log-determinants add (the chain rule)."""
  layers: Sequence[Bijector]

  def forward(self, x: jax.Array) -> tuple[jax.Array, jax.Array]:
    log_det = jnp.zeros(x.shape[:1], x.dtype)
    for layer in self.layers:
      x, layer_log_det = layer.forward(x)
      log_det = log_det + layer_log_det
    return x, log_det

  def inverse(self, y: jax.Array) -> tuple[jax.Array, jax.Array]:
    log_det = jnp.zeros(y.shape[:1], y.dtype)
    for layer in reversed(self.layers):
      y, layer_log_det = layer.inverse(y)
      log_det = log_det + layer_log_det
    return y, log_det


class Repeated(Bijector):
  """``count`` copies of ``layer``, each with its own parameters, composed in order:
  ``layer_count o ... o layer_1``.

  One ``lax.scan`` over the copies (parameters stacked along a leading axis of size ``count``;
  ``inverse`` scans in reverse), so compile time does not grow with depth: Glow's K steps of
  flow per scale are one compiled step. Data-dependent initialisation works per copy: copy k
  is initialised on the output of copy k - 1.
  """
  layer: Bijector
  count: int

  def _scan(self, method: str, reverse: bool):
    def body(layer, carry, _):
      x, log_det = carry
      y, layer_log_det = getattr(layer, method)(x)
      return (y, log_det + layer_log_det), None

    return nn.scan(body, variable_axes={"params": 0, "constants": 0},
                   split_rngs={"params": True}, length=self.count, reverse=reverse)

  def forward(self, x: jax.Array) -> tuple[jax.Array, jax.Array]:
    (y, log_det), _ = self._scan("forward", False)(self.layer, (x, jnp.zeros(x.shape[:1], x.dtype)), None)
    return y, log_det

  def inverse(self, y: jax.Array) -> tuple[jax.Array, jax.Array]:
    (x, log_det), _ = self._scan("inverse", True)(self.layer, (y, jnp.zeros(y.shape[:1], y.dtype)), None)
    return x, log_det
