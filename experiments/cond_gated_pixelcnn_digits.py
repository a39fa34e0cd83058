"""Class-conditional Gated PixelCNN (van den Oord et al. 2016, "Conditional Image Generation with
PixelCNN Decoders", eq. 4: the one-hot label's V^T h added inside every gate) on 8x8 digits.

Launch:   jaxgen train --config experiments/cond_gated_pixelcnn_digits.py --workdir runs/cond_gated_pixelcnn_digits
Evaluate: jaxgen eval --workdir runs/cond_gated_pixelcnn_digits
label_accuracy is the digits classifier's agreement with the conditioning label over samples whose
labels cycle 0, 1, ..., 9; the sample grid's column k is class k.
Target: as gated_pixelcnn_digits (bits_per_dim <= 2.30). Not measured yet: only its :smoke run was
made (the shared CPU had no room for a third full run before the deadline).
"""

import gated_pixelcnn_digits


def get_config(arg=None):
  config = gated_pixelcnn_digits.get_config(arg)
  config.description = "Class-conditional Gated PixelCNN, 4 layers, p=32, 17-way softmax, digits"
  config.model.conditional = True
  return config
