"""Dilated causal convolutions with a queue for one-step-at-a-time evaluation (WaveNet).

A kernel-2 convolution with dilation d reads the input now and d steps ago:
``y_t = W [x_{t-d}; x_t] + b`` (x before the start is 0). Over a whole sequence the past is the
input shifted right by d. One step at a time (Paine et al. 2016, "Fast Wavenet Generation
Algorithm") the layer keeps the last d inputs in a queue ``[B, d, C]``, written circularly at
slot ``t mod d``: the slot holds x_{t-d} until x_t replaces it, so each step reads one input and
writes one, whatever d.
"""

from typing import Optional

import flax.linen as nn
import jax
import jax.numpy as jnp


def empty_queue(batch_size: int, dilation: int, features: int) -> jax.Array:
  return jnp.zeros((batch_size, dilation, features), jnp.float32)


class DilatedCausalConv(nn.Module):
  """x: [B, T, C] -> ([B, T, features], queue). With a queue (the layer's last ``dilation``
  inputs), x is the one step at ``position``: [B, 1, C]."""
  features: int
  dilation: int

  @nn.compact
  def __call__(self, x: jax.Array, queue: Optional[jax.Array] = None, position=0):
    if queue is None:
      past = jnp.pad(x, ((0, 0), (self.dilation, 0), (0, 0)))[:, :x.shape[1]]
    else:
      slot = position % self.dilation
      past = jax.lax.dynamic_slice_in_dim(queue, slot, 1, axis=1)
      queue = jax.lax.dynamic_update_slice_in_dim(queue, x, slot, axis=1)
    return nn.Dense(self.features)(jnp.concatenate([past, x], axis=-1)), queue
