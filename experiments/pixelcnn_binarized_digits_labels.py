"""pixelcnn_binarized_digits told the labels in training, evaluated as the mixture over them.

The same Gated PixelCNN (p=96, 6 layers, the 8 symmetries of the square), conditioned on the class
and scored as the exact uniform mixture 1/10 sum_y 1/8 sum_t P(t(x) | t, y) (no test labels).
Trained with the labels: not comparable with the unsupervised VAE's 16.28.

Launch:   jaxgen train --config experiments/pixelcnn_binarized_digits_labels.py --workdir W
Evaluate: jaxgen eval --workdir W
Expected (seed 0, 8,000 steps, 83 min on one CPU core): test NLL 14.96 nats (16.28 / 15.13 /
14.99 at 2k / 4k / 6k steps).
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
