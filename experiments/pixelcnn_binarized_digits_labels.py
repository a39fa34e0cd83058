"""pixelcnn_binarized_digits conditioned on the labels: the same Gated PixelCNN (p=96, 6 layers,
the 8 symmetries of the square) told the class in training and evaluated as the exact uniform
mixture over the 10 classes, 1/10 sum_y 1/8 sum_t P(t(x) | t, y) (``model.label_mixture``: no test
labels). TRAINED WITH THE LABELS: a supervised mixture, not comparable with the VAE's unsupervised
16.28.

Launch:   jaxgen train --config experiments/pixelcnn_binarized_digits_labels.py --workdir runs/pl
Evaluate: jaxgen eval --workdir runs/pl
Expected (seed 0, 8,000 steps, 83 min on one CPU core): test nll 14.96 nats (16.28 / 15.13 /
14.99 at 2k / 4k / 6k steps; the identity's term at 8k: 15.27).
"""

import pixelcnn_binarized_digits


def get_config(arg=None):
  config = pixelcnn_binarized_digits.get_config(arg)
  config.description = ("Gated PixelCNN, 6 layers, p=96, Bernoulli, binarized digits; "
                        "distribution augmentation over the 8 symmetries of the square; "
                        "conditioned on the labels, evaluated as the mixture over them")
  config.model.conditional = True
  config.model.label_mixture = True
  return config
