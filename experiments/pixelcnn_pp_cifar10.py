"""PixelCNN++ on CIFAR-10 (TFDS), the paper's setup (Salimans et al. 2017, Table 1: 2.92 bits/dim on
the test set).

Launch:   jaxgen train --config experiments/pixelcnn_pp_cifar10.py --workdir runs/pixelcnn_pp_cifar10
Evaluate: jaxgen eval --workdir runs/pixelcnn_pp_cifar10
Needs the data prepared offline: `tfds build cifar10 --data_dir=DIR`, TFDS_DATA_DIR=DIR.

The paper's model and openai/pixel-cnn's ``train.py`` defaults: 3 resolutions (32, 16, 8) of 5 gated
ResNet layers each (6 on the way up), 160 filters, a 10-component discretized logistic mixture per
pixel on [-1, 1] data, dropout 0.5, Adam at 1e-3, Polyak averaging 0.9995 (EMA), 8 GPUs x 16 images.
Differences: a cosine decay over 500,000 steps (the code decays by 0.999995 per step until stopped),
no weight normalization or data-dependent init. Sampled by the plain sampler (``model.pixelcnn_pp``
has no pixel cache). ``:smoke`` shrinks the network (16 filters, 1 layer per resolution).
Expected: 2.92 bits/dim (paper); not measured here (no network for the data).
"""

import gated_pixelcnn_cifar10
from jaxgen.core.config import reproduce


def get_config(arg=None):
  config = gated_pixelcnn_cifar10.get_config(arg)
  config.description = "PixelCNN++, 3 scales x 5 gated ResNets, 160 filters, 10 logistics, CIFAR-10 (2.92 bits/dim)"
  config.data.scale = "-1_1"
  config.model.name = "pixelcnn_pp"
  config.model.features = 160
  config.model.num_layers = 5
  config.model.num_scales = 3
  config.model.head = "logistic_mixture"
  config.model.num_mixtures = 10
  config.model.dropout = 0.5
  config.sample.method = "plain"
  config.train.ema_decay = 0.9995
  reproduce(config, ('bits_per_dim ~= 2.92 +- 0.05',),
            source='Salimans et al. 2017 Table 1',
            paper='2.92',
            protocol='CIFAR-10 test, exact -log2 P / 3072 over 256 levels',
            compute='GPU; not run here (needs TFDS CIFAR-10)')
  if arg == "smoke":
    config.model.features = 16
    config.model.num_layers = 1
    return config
  config.train.num_steps = 500_000
  config.optimizer.learning_rate = 1e-3
  config.optimizer.warmup_steps = 0
  return config
