"""Gated PixelCNN on Fashion-MNIST (28x28): 6 gated layers of 32, a 256-way softmax.

Exact discrete likelihood; dropout 0.2; Adam 1e-3 cosine, batch 32, 8,000 steps (~5 epochs; 2 h
15 min on 2 CPU cores beside one other run, 2026-12-08). Samples are drawn pixel by pixel (784
network calls per batch), so the sample metrics use 2,000 (`jaxgen eval`: 5 min).

Launch:   jaxgen train --config experiments/gated_pixelcnn_fashion_mnist.py --workdir runs/gpcnn_fmnist
Evaluate: jaxgen eval --workdir runs/gpcnn_fmnist
Data:     fashion_mnist (Debian's dataset-fashion-mnist, read offline).
Expected: at or below 3.0 bits/dim (issue #30; JPEG XL lossless: 3.21). Measured, seed 0:
          validation 3.059 (step 5,000) / 3.038 (8,000); test 3.044.
"""

import gated_pixelcnn_digits
from jaxgen.core.config import reproduce


def get_config(arg=None):
  config = gated_pixelcnn_digits.get_config(arg)
  config.description = "Gated PixelCNN, 6 layers x 32, 256-way softmax, Fashion-MNIST"
  config.data.name = "fashion_mnist"
  config.eval.fid_extractor = "fashion_mnist"
  reproduce(config, ('bits_per_dim <= 3.0',),
            source='issue #30 floor (JPEG XL lossless: 3.21 bits/dim)',
            protocol='10,000 test images, exact -log2 P / 784 over 256 levels',
            compute='2 CPU cores')
  if arg == "smoke":
    return config
  config.model.features = 32
  config.model.num_layers = 6
  config.model.output_features = 256
  config.train.num_steps = 8000
  config.train.batch_size = 32
  config.eval.batch_size = 500
  config.eval.num_image_samples = 2000
  config.eval_every = 5000
  config.checkpoint_every = 2000
  return config
