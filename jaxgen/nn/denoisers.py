"""The networks the diffusion and flow-matching families share, by ``model.name``: the U-Net for
images and the residual MLP for points. Both map (x_t, t, labels) to an output of x's shape
(``out_channels`` channels), so either family's objective trains either."""

from typing import Optional

import jax.numpy as jnp
import ml_collections

from jaxgen.nn.mlp_denoiser import MLPDenoiser
from jaxgen.nn.unet import UNet
from jaxgen.registry import Registry

DENOISERS = Registry("denoising network")


@DENOISERS.register("unet")
def _unet(c: ml_collections.ConfigDict, out_channels: int, num_classes: Optional[int],
          dtype=jnp.float32) -> UNet:
  return UNet(out_channels=out_channels, ch=c.ch, ch_mult=tuple(c.ch_mult),
              num_res_blocks=c.num_res_blocks, attn_resolutions=tuple(c.attn_resolutions),
              dropout=c.dropout, num_groups=c.num_groups, num_classes=num_classes, dtype=dtype)


@DENOISERS.register("mlp")
def _mlp(c: ml_collections.ConfigDict, out_channels: int, num_classes: Optional[int],
         dtype=jnp.float32) -> MLPDenoiser:
  return MLPDenoiser(out_channels=out_channels, width=c.width, num_blocks=c.num_blocks,
                     num_classes=num_classes, dtype=dtype)
