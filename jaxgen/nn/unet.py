"""The DDPM U-Net (Ho et al. 2020, App. B; their ``diffusion_tf/models/unet.py``), in Flax Linen.

A PixelCNN++-style U-Net: ``num_res_blocks`` residual blocks per resolution with GroupNorm and
swish, the timestep's sinusoidal embedding (Vaswani et al. 2017) added inside every block,
self-attention at the resolutions in ``attn_resolutions``, dropout, and ``ch * ch_mult[i]``
channels at level i. With ch 128, ch_mult (1, 2, 2, 2), 2 blocks, attention at 16x16 on 32x32
images this is Ho et al.'s CIFAR-10 model, 35.7M parameters.

Class conditioning (Ho & Salimans 2022) adds a learned label embedding to the time embedding;
label ``num_classes`` is the "no label" of classifier-free guidance.

``dtype`` is the computation dtype of every layer (parameters stay float32): bfloat16 gives mixed
precision (``jaxgen/core/precision.py``); GroupNorm statistics and the attention softmax are then
computed in float32 and the output is float32 either way.
"""

import math
from typing import Any, Optional, Sequence

import flax.linen as nn
import jax
import jax.numpy as jnp

# Ho et al. zero-initialise the last layer of each residual branch (init_scale=0) so every block
# starts as the identity and the network as 0.
zeros = nn.initializers.zeros
# Their default_init(scale=1): variance scaling, fan_avg, uniform.
default_init = nn.initializers.variance_scaling(1.0, "fan_avg", "uniform")


def timestep_embedding(t: jax.Array, dim: int, max_period: float = 10_000.0) -> jax.Array:
  """Sinusoidal embedding of timesteps t: [B] -> [B, dim] (Ho et al.'s ``get_timestep_embedding``:
  sin then cos of t times dim/2 geometric frequencies from 1 to 1/max_period)."""
  half = dim // 2
  frequencies = jnp.exp(-math.log(max_period) * jnp.arange(half, dtype=jnp.float32) / (half - 1))
  angles = t.astype(jnp.float32)[:, None] * frequencies[None, :]
  embedding = jnp.concatenate([jnp.sin(angles), jnp.cos(angles)], axis=1)
  return jnp.pad(embedding, ((0, 0), (0, dim % 2)))


def drop_labels(rng: jax.Array, labels: jax.Array, probability: float, null_label: int) -> jax.Array:
  """Each label replaced by ``null_label`` (``ConditioningEmbedding``'s extra class) with
  ``probability``: classifier-free guidance training (Ho & Salimans 2022, Alg. 1). An unlabelled
  example (label -1, ``data.unlabelled="keep"``) always gets the null label, so the unconditional
  half of the model learns from every image (semi-supervised guidance). labels: [B]."""
  dropped = jax.random.bernoulli(rng, probability, labels.shape) | (labels < 0)
  return jnp.where(dropped, null_label, labels)


class ConditioningEmbedding(nn.Module):
  """Timestep (and label) -> the [B, 4 ch] vector every residual block sees."""
  ch: int
  num_classes: Optional[int] = None
  dtype: Any = jnp.float32

  @nn.compact
  def __call__(self, t: jax.Array, labels: Optional[jax.Array]) -> jax.Array:
    dense = lambda: nn.Dense(4 * self.ch, kernel_init=default_init, dtype=self.dtype)
    embedding = dense()(timestep_embedding(t, self.ch))
    embedding = dense()(nn.swish(embedding))
    if self.num_classes:
      embedding = embedding + nn.Embed(self.num_classes + 1, 4 * self.ch, dtype=self.dtype)(labels)
    return embedding


class ResnetBlock(nn.Module):
  """GN, swish, conv3x3, + Dense(temb), GN, swish, dropout, conv3x3 (zero init); a 1x1 projection
  of the skip when the channels change. x: [B, H, W, C] -> [B, H, W, out_ch]."""
  out_ch: int
  num_groups: int
  dropout: float
  dtype: Any = jnp.float32

  @nn.compact
  def __call__(self, x: jax.Array, temb: jax.Array, train: bool) -> jax.Array:
    norm = lambda: nn.GroupNorm(self.num_groups, dtype=self.dtype)
    dense = lambda init: nn.Dense(self.out_ch, kernel_init=init, dtype=self.dtype)
    h = nn.swish(norm()(x))
    h = nn.Conv(self.out_ch, (3, 3), kernel_init=default_init, dtype=self.dtype)(h)
    h = h + dense(default_init)(nn.swish(temb))[:, None, None, :]
    h = nn.swish(norm()(h))
    h = nn.Dropout(self.dropout, deterministic=not train)(h)
    h = nn.Conv(self.out_ch, (3, 3), kernel_init=zeros, dtype=self.dtype)(h)
    if x.shape[-1] != self.out_ch:
      x = dense(default_init)(x)  # their "nin" shortcut
    return x + h


class AttentionBlock(nn.Module):
  """Single-head self-attention over the H*W positions, residual. x: [B, H, W, C]."""
  num_groups: int
  dtype: Any = jnp.float32

  @nn.compact
  def __call__(self, x: jax.Array) -> jax.Array:
    batch, height, width, channels = x.shape
    h = nn.GroupNorm(self.num_groups, dtype=self.dtype)(x).reshape(batch, height * width, channels)
    q, k, v = (nn.Dense(channels, kernel_init=default_init, dtype=self.dtype)(h) for _ in range(3))
    logits = jnp.einsum("bic,bjc->bij", q, k).astype(jnp.float32) / math.sqrt(channels)
    weights = jax.nn.softmax(logits, axis=-1).astype(self.dtype)
    h = nn.Dense(channels, kernel_init=zeros, dtype=self.dtype)(jnp.einsum("bij,bjc->bic", weights, v))
    return x + h.reshape(x.shape)


class UNet(nn.Module):
  """The DDPM denoiser. x: [B, H, W, C], t: [B] int, labels: [B] int or None -> [B, H, W, out_channels]."""
  out_channels: int
  ch: int = 128
  ch_mult: Sequence[int] = (1, 2, 2, 2)
  num_res_blocks: int = 2
  attn_resolutions: Sequence[int] = (16,)
  dropout: float = 0.1
  num_groups: int = 32
  num_classes: Optional[int] = None
  dtype: Any = jnp.float32  # the layers' computation dtype; parameters are float32

  @nn.compact
  def __call__(self, x: jax.Array, t: jax.Array, labels: Optional[jax.Array] = None,
               train: bool = False) -> jax.Array:
    temb = ConditioningEmbedding(self.ch, self.num_classes, self.dtype)(t, labels)
    block = lambda out_ch: ResnetBlock(out_ch, self.num_groups, self.dropout, self.dtype)
    attention = lambda: AttentionBlock(self.num_groups, self.dtype)
    conv = lambda features, init=default_init, **kw: nn.Conv(features, (3, 3), kernel_init=init,
                                                             dtype=self.dtype, **kw)

    skips = [conv(self.ch)(x)]
    for level, mult in enumerate(self.ch_mult):
      for _ in range(self.num_res_blocks):
        h = block(self.ch * mult)(skips[-1], temb, train)
        if h.shape[1] in self.attn_resolutions:
          h = attention()(h)
        skips.append(h)
      if level != len(self.ch_mult) - 1:
        skips.append(conv(skips[-1].shape[-1], strides=(2, 2))(skips[-1]))

    h = block(skips[-1].shape[-1])(skips[-1], temb, train)
    h = attention()(h)
    h = block(h.shape[-1])(h, temb, train)

    for level, mult in reversed(list(enumerate(self.ch_mult))):
      for _ in range(self.num_res_blocks + 1):
        h = block(self.ch * mult)(jnp.concatenate([h, skips.pop()], axis=-1), temb, train)
        if h.shape[1] in self.attn_resolutions:
          h = attention()(h)
      if level != 0:
        batch, height, width, channels = h.shape
        h = jax.image.resize(h, (batch, 2 * height, 2 * width, channels), "nearest")
        h = conv(channels)(h)

    h = nn.swish(nn.GroupNorm(self.num_groups, dtype=self.dtype)(h))
    return conv(self.out_channels, zeros)(h).astype(jnp.float32)
