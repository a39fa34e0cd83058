"""Gated PixelCNN on binarized 8x8 digits with distribution augmentation over 8 symmetries.

Van den Oord et al. 2016's vertical and horizontal stacks (no blind spot), 6 layers, p=96, dropout
0.2, a Bernoulli per pixel, 8,000 steps, EMA 0.999. The network is told which symmetry t of the
square its input went through (Jun et al. 2020); the test NLL is the exact uniform mixture
1/8 sum_t P(t(x) | t) (``nll_identity``: the identity's term alone). No labels.

Launch:   jaxgen train --config experiments/pixelcnn_binarized_digits.py --workdir W
Evaluate: jaxgen eval --workdir W
Result:   test NLL in nats, mean ± sd over seeds 0-2, in docs/results.md.
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
