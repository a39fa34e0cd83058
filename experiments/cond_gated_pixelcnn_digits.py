"""Class-conditional Gated PixelCNN on 8x8 digits, 17-way softmax.

van den Oord et al. 2016, "Conditional Image Generation with PixelCNN Decoders", eq. 4: the
one-hot label's V^T h inside every gate.

Launch:   jaxgen train --config experiments/cond_gated_pixelcnn_digits.py --workdir runs/cond_gated
Evaluate: jaxgen eval --workdir runs/cond_gated
Expected (seed 0, 2,000 steps): test bits_per_dim 1.733 (gated_pixelcnn_digits: 1.846).
label_accuracy: the digits classifier's agreement with the labels of samples whose labels cycle
0, ..., 9 (the sample grid's column k is class k).
"""

import gated_pixelcnn_digits


def get_config(arg=None):
  config = gated_pixelcnn_digits.get_config(arg)
  config.description = "Class-conditional Gated PixelCNN, 4 layers, p=32, 17-way softmax, digits"
  config.model.conditional = True
  return config
