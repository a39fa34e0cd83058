"""VQ-VAE with a Transformer prior on Fashion-MNIST: vqvae_fashion_mnist's VQ-VAE, its 7x7 code
maps read in raster order as 49 tokens of 256 codes by a 4-layer decoder of width 128.

Launch:   jaxgen train --config experiments/vqvae_transformer_fashion_mnist.py --workdir runs/vq_tf
Evaluate: jaxgen eval --workdir runs/vq_tf
Measured: not yet (the Gated PixelCNN prior's numbers: vqvae_fashion_mnist.py).
"""

import vqvae_fashion_mnist


def get_config(arg=None):
  config = vqvae_fashion_mnist.get_config(arg)
  config.description = ("VQ-VAE (32, 64; 7x7 codes, K 256, D 16) + Transformer prior "
                        "(4 layers, width 128)")
  config.prior.name = "transformer"
  config.prior.features = 128
  config.prior.num_layers = 4
  return config
