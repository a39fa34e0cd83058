"""PixelCNN++ on CIFAR-10 (TFDS) in the paper's setup (Salimans et al. 2017).

openai/pixel-cnn's train.py: 3 resolutions of 5 gated ResNet layers, 160 filters, 10 logistics,
dropout 0.5, Adam 1e-3, EMA 0.9995; cosine decay, no weight norm or data-dependent init.

Launch:   jaxgen train --config experiments/pixelcnn_pp_cifar10.py --workdir runs/pixelcnn_pp
Evaluate: jaxgen eval --workdir runs/pixelcnn_pp
Data:     cifar10, prepared offline (README, "Real data").
Paper:    2.92 bits/dim on the test set (Table 1). Not run here (needs the data).
"""

import gated_pixelcnn_cifar10
from jaxgen.core.config import reproduce


def get_config(arg=None):
  config = gated_pixelcnn_cifar10.get_config(arg)
  config.description = ("PixelCNN++, 3 scales x 5 gated ResNets, 160 filters, 10 logistics, "
                        "CIFAR-10 (2.92 bits/dim)")
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
