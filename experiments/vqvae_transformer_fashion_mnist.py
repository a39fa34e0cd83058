"""VQ-VAE with a Transformer prior on Fashion-MNIST: vqvae_fashion_mnist's VQ-VAE, its 7x7 code
maps read in raster order as 49 tokens of 256 codes by a 4-layer decoder of width 128.

Launch:   jaxgen train --config experiments/vqvae_transformer_fashion_mnist.py --workdir runs/vq_tf
Evaluate: jaxgen eval --workdir runs/vq_tf
Measured (seed 0, 5,400 steps, 65 min on 2 CPU cores shared with 2-3 runs; eval 15 min): the
same stage 1 as vqvae_fashion_mnist (decoder 3.186 bits/dim, usage 1.0), prior 0.214 (Gated
PixelCNN 0.222), bound 3.399; 10,000 samples: FMNIST-FID 3.52 (PixelCNN 6.15), P/R 0.60/0.80,
classes 8.1-11.7%.
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
