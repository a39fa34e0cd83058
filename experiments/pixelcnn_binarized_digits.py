"""Gated PixelCNN (van den Oord et al. 2016, "Conditional Image Generation with PixelCNN Decoders")
on binarized 8x8 digits: vertical and horizontal stacks (no blind spot), 6 layers, p=96, dropout
0.2, a Bernoulli per pixel, 8,000 steps, EMA 0.999. Distribution augmentation (Jun et al. 2020)
over the 8 symmetries of the square: the network is told the symmetry t, and the test NLL is the
exact uniform mixture 1/8 sum_t P(t(x) | t) (``nll_identity``: the identity's term alone).

Launch:   jaxgen train --config experiments/pixelcnn_binarized_digits.py --workdir W
Evaluate: jaxgen eval --workdir W
Result:   mean ± sd over seeds 0-2 in docs/results.md (being measured).
"""

import _pixelcnn_base


def get_config(arg=None):
  config = _pixelcnn_base.get_config(arg)
  config.description = ("Gated PixelCNN, 6 layers, p=96, Bernoulli, binarized digits; "
                        "distribution augmentation over the 8 symmetries of the square")
  config.model.name = "gated_pixelcnn"
  config.model.features = 96
  config.model.num_layers = 6
  config.model.dropout = 0.2
  config.model.dist_aug = "dihedral"
  config.train.ema_decay = 0.999
  if arg != "smoke":
    config.train.num_steps = 8000
    config.eval_every = 2000
  return config
