"""Layers that more than one family uses: ``conv`` (convolutions as im2col + matmul where XLA:CPU's
own are slow), ``unet`` (the DDPM U-Net) and ``mlp_denoiser`` (its residual-MLP counterpart for
points), the time-conditioned networks of diffusion and flow matching."""
