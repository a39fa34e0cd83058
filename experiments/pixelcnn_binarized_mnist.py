"""PixelCNN on binarized MNIST (TFDS) in the paper's setup (van den Oord et al. 2016).

"Pixel Recurrent Neural Networks": a 7x7 mask-A convolution, 15 residual blocks at h = 128, a
Bernoulli per pixel, RMSProp; batch 16, learning rate and steps are ours.

Launch:   jaxgen train --config experiments/pixelcnn_binarized_mnist.py --workdir runs/pcnn_mnist
Evaluate: jaxgen eval --workdir runs/pcnn_mnist
Data:     binarized_mnist, prepared offline (README, "Real data").
Paper:    81.30 nats test NLL (Table 4). Not run here (needs the data).
``:smoke`` runs on ``mnist`` thresholded at 128 (TFDS mock data are not binary).
"""

import _pixelcnn_base
from jaxgen.core.config import reproduce


def get_config(arg=None):
  config = _pixelcnn_base.get_config(arg)
  config.description = ("PixelCNN, 15 residual blocks, h=128, Bernoulli, "
                        "binarized MNIST (Table 4: 81.30 nats)")
  config.data.name = "binarized_mnist"
  if arg == "smoke":  # TFDS's mock data fills images with 0..255, never a binary image.
    config.data.name, config.data.binarize = "mnist", "fixed"
  config.model.features = 128
  config.model.num_layers = 15
  config.model.output_features = 256
  config.model.dropout = 0.0
  config.eval.fid_extractor = ""  # the digits classifier is for 8x8 digits
  config.optimizer.name = "rmsprop"
  reproduce(config, ('nll ~= 81.30 +- 1.0',),
            source='van den Oord et al. 2016a Table 4',
            paper='81.30',
            protocol='binarized MNIST test, exact NLL in nats',
            compute='GPU; not run here (needs TFDS binarized_mnist)')
  if arg == "smoke":
    config.model.features = 8
    config.model.num_layers = 2
    config.model.output_features = 16
    return config
  config.train.num_steps = 200_000
  config.train.batch_size = 16
  config.optimizer.learning_rate = 1e-4
  config.optimizer.warmup_steps = 1_000
  config.eval.batch_size = 500
  config.log_every = 500
  config.eval_every = 10_000
  config.checkpoint_every = 5_000
  return config
