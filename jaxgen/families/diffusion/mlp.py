"""An MLP denoiser for points (the 2-D toys): residual blocks conditioned on the timestep."""

from typing import Optional

import flax.linen as nn
import jax

from jaxgen.families.diffusion.unet import ConditioningEmbedding


class ResidualMLPBlock(nn.Module):
  """h + Dense(swish(Dense(swish(LN(h))) + Dense(temb))): the timestep enters every block, as in
  the U-Net's residual blocks. h: [B, width]."""
  width: int

  @nn.compact
  def __call__(self, h: jax.Array, temb: jax.Array) -> jax.Array:
    update = nn.Dense(self.width)(nn.swish(nn.LayerNorm()(h)))
    update = update + nn.Dense(self.width)(nn.swish(temb))
    return h + nn.Dense(self.width, kernel_init=nn.initializers.zeros)(nn.swish(update))


class MLPDenoiser(nn.Module):
  """x: [B, D], t: [B] int, labels: [B] int or None -> [B, out_channels]."""
  out_channels: int
  width: int = 256
  num_blocks: int = 4
  num_classes: Optional[int] = None

  @nn.compact
  def __call__(self, x: jax.Array, t: jax.Array, labels: Optional[jax.Array] = None,
               train: bool = False) -> jax.Array:
    # ConditioningEmbedding gives 4 * ch features; ch = width / 4 keeps them at the block width.
    temb = ConditioningEmbedding(self.width // 4, self.num_classes)(t, labels)
    h = nn.Dense(self.width)(x)
    for _ in range(self.num_blocks):
      h = ResidualMLPBlock(self.width)(h, temb)
    return nn.Dense(self.out_channels, kernel_init=nn.initializers.zeros)(nn.swish(nn.LayerNorm()(h)))
