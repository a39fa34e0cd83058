"""Causal self-attention with a key/value cache, and the pre-LayerNorm Transformer block.

Vaswani et al. 2017; the block is GPT-2's (Radford et al. 2019): LayerNorm before attention and
before the MLP, residual connections around both. The cache is an explicit pytree
``{"keys": [B, L, H, Dh], "values": [B, L, H, Dh]}`` passed in and returned, so a sampler carries
it through ``lax.scan``: a call with T new tokens at ``position`` writes their keys and values at
``position .. position + T - 1`` and attends over everything cached up to each of them.

With ``rotary``, queries and keys are rotated by their positions (RoFormer, Su et al. 2021: the
GPT-NeoX half-split form), so a query-key product depends on their distance only; the cache holds
the rotated keys.
"""

import math
from typing import Optional

import flax.linen as nn
import jax
import jax.numpy as jnp

Cache = dict  # {"keys": [B, L, H, Dh], "values": [B, L, H, Dh]}


def empty_cache(batch_size: int, length: int, num_heads: int, head_features: int) -> Cache:
  """A cache of ``length`` positions, all zero (unwritten positions are masked out)."""
  zeros = jnp.zeros((batch_size, length, num_heads, head_features), jnp.float32)
  return {"keys": zeros, "values": zeros}


ROTARY_BASE = 10000.0  # RoFormer's: wavelengths from 2 pi to 2 pi 10^4 positions


def rotary(x: jax.Array, positions: jax.Array) -> jax.Array:
  """x: [B, T, H, Dh] at ``positions`` [T] -> x with each pair (x_i, x_{i + Dh/2}) rotated by
  positions * ROTARY_BASE^(-2i / Dh), i < Dh / 2."""
  half = x.shape[-1] // 2
  frequencies = ROTARY_BASE ** (-jnp.arange(half, dtype=jnp.float32) / half)
  angles = positions[:, None].astype(jnp.float32) * frequencies  # [T, Dh/2]
  cos, sin = jnp.cos(angles)[None, :, None], jnp.sin(angles)[None, :, None]
  first, second = x[..., :half], x[..., half:]
  return jnp.concatenate([first * cos - second * sin, first * sin + second * cos], axis=-1)


class CausalSelfAttention(nn.Module):
  """Multi-head attention of each position over itself and earlier positions.

  x: [B, T, D] -> ([B, T, D], cache). Without a cache the T positions attend among themselves
  (position i over 0..i); with one, x holds positions ``position .. position + T - 1`` and they
  attend over the cache's positions up to their own.
  """
  num_heads: int
  dropout: float = 0.0
  rotary: bool = False

  @nn.compact
  def __call__(self, x: jax.Array, cache: Optional[Cache] = None, position=0,
               train: bool = False):
    features = x.shape[-1]
    if features % self.num_heads:
      raise ValueError(f"width {features} is not a multiple of num_heads {self.num_heads}")
    head_features = features // self.num_heads
    qkv = nn.DenseGeneral((3, self.num_heads, head_features), name="qkv")(x)  # [B, T, 3, H, Dh]
    queries, keys, values = qkv[:, :, 0], qkv[:, :, 1], qkv[:, :, 2]
    query_positions = position + jnp.arange(x.shape[1])
    if self.rotary:
      queries, keys = rotary(queries, query_positions), rotary(keys, query_positions)
    if cache is not None:
      keys = jax.lax.dynamic_update_slice(cache["keys"], keys, (0, position, 0, 0))
      values = jax.lax.dynamic_update_slice(cache["values"], values, (0, position, 0, 0))
      cache = {"keys": keys, "values": values}
    key_positions = jnp.arange(keys.shape[1])
    visible = key_positions[None, :] <= query_positions[:, None]  # [T, L]
    logits = jnp.einsum("bqhd,bkhd->bhqk", queries, keys) / math.sqrt(head_features)
    logits = jnp.where(visible, logits, jnp.finfo(logits.dtype).min)
    weights = nn.Dropout(self.dropout, deterministic=not train)(jax.nn.softmax(logits, axis=-1))
    attended = jnp.einsum("bhqk,bkhd->bqhd", weights, values)
    return nn.DenseGeneral(features, axis=(-2, -1), name="out")(attended), cache


class TransformerBlock(nn.Module):
  """x + attention(LN(x)), then + MLP(LN(.)) with a GELU MLP of ``mlp_ratio`` times the width.
  x: [B, T, D] -> ([B, T, D], cache)."""
  num_heads: int
  mlp_ratio: int = 4
  dropout: float = 0.0
  rotary: bool = False

  @nn.compact
  def __call__(self, x: jax.Array, cache: Optional[Cache] = None, position=0,
               train: bool = False):
    drop = nn.Dropout(self.dropout, deterministic=not train)
    attended, cache = CausalSelfAttention(self.num_heads, self.dropout, self.rotary)(
        nn.LayerNorm()(x), cache, position, train)
    x = x + drop(attended)
    hidden = nn.gelu(nn.Dense(self.mlp_ratio * x.shape[-1])(nn.LayerNorm()(x)))
    return x + drop(nn.Dense(x.shape[-1])(hidden)), cache
