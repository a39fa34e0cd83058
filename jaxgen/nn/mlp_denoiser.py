"""A time-conditioned residual MLP for points (the 2-D toys): a denoiser or a velocity field."""

from typing import Any, Optional

import flax.linen as nn
import jax
import jax.numpy as jnp

from jaxgen.nn.unet import ConditioningEmbedding


class ResidualMLPBlock(nn.Module):
  """h + Dense(swish(Dense(swish(LN(h))) + Dense(temb))): the timestep enters every block, as in
  the U-Net's residual blocks. h: [B, width]."""
  width: int
  dtype: Any = jnp.float32

  @nn.compact
  def __call__(self, h: jax.Array, temb: jax.Array) -> jax.Array:
    dense = lambda **kw: nn.Dense(self.width, dtype=self.dtype, **kw)
    update = dense()(nn.swish(nn.LayerNorm(dtype=self.dtype)(h)))
    update = update + dense()(nn.swish(temb))
    return h + dense(kernel_init=nn.initializers.zeros)(nn.swish(update))


class MLPDenoiser(nn.Module):
  """x: [B, D], t: [B] int, labels: [B] int or None -> [B, out_channels] (float32; ``dtype`` is the
  layers' computation dtype, as the U-Net's)."""
  out_channels: int
  width: int = 256
  num_blocks: int = 4
  num_classes: Optional[int] = None
  dtype: Any = jnp.float32

  @nn.compact
  def __call__(self, x: jax.Array, t: jax.Array, labels: Optional[jax.Array] = None,
               train: bool = False) -> jax.Array:
    # ConditioningEmbedding gives 4 * ch features; ch = width / 4 keeps them at the block width.
    temb = ConditioningEmbedding(self.width // 4, self.num_classes, self.dtype)(t, labels)
    h = nn.Dense(self.width, dtype=self.dtype)(x)
    for _ in range(self.num_blocks):
      h = ResidualMLPBlock(self.width, self.dtype)(h, temb)
    h = nn.swish(nn.LayerNorm(dtype=self.dtype)(h))
    out = nn.Dense(self.out_channels, kernel_init=nn.initializers.zeros, dtype=self.dtype)(h)
    return out.astype(jnp.float32)
