"""PixelCNN on binarized MNIST (TFDS), the paper's setup (van den Oord et al. 2016, "Pixel Recurrent
Neural Networks", Table 4: 81.30 nats test NLL).

Launch:   jaxgen train --config experiments/pixelcnn_binarized_mnist.py --workdir runs/pixelcnn_binarized_mnist
Evaluate: jaxgen eval --workdir runs/pixelcnn_binarized_mnist
Needs the data prepared offline: `tfds build binarized_mnist --data_dir=DIR`, TFDS_DATA_DIR=DIR.

The paper's PixelCNN (its Table 1 and Figure 5): a 7x7 mask-A convolution, residual blocks of
1x1 / 3x3 mask-B / 1x1 convolutions on 2h features, two ReLU + 1x1 mask-B output layers and a
sigmoid (Bernoulli) per pixel; RMSProp (Section 5.2). The depth and width are our reading of the
paper's PixelCNN (15 layers, h = 128; it gives no separate MNIST setting), the batch size (16),
learning rate and step count are ours; no dropout (the paper's PixelCNN has none). ``:smoke`` keeps
the paper's architecture shape at a width of 8 and two blocks, on ``mnist`` thresholded at 128 (the
test suite's TFDS mock data are random 8-bit images, which ``binarized_mnist`` rejects).
Expected: 81.30 nats (paper); not measured here (no network for the data).
"""

import pixelcnn_binarized_digits
from jaxgen.core.config import reproduce


def get_config(arg=None):
  config = pixelcnn_binarized_digits.pixelcnn_defaults(arg)
  config.description = "PixelCNN, 15 residual blocks, h=128, Bernoulli, binarized MNIST (Table 4: 81.30 nats)"
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
