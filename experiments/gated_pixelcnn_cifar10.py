"""Gated PixelCNN on CIFAR-10 (TFDS) in the paper's setup (van den Oord et al. 2016).

"Conditional Image Generation with PixelCNN Decoders", Sec. 3.1: 20 gated layers of 384 units,
5x5 filters, a 256-way softmax per colour channel (R -> G -> B), 200K updates at batch 128.
Adam 1e-3 with cosine decay and 1,026 output features are ours.

Launch:   jaxgen train --config experiments/gated_pixelcnn_cifar10.py --workdir runs/gated_cifar10
Evaluate: jaxgen eval --workdir runs/gated_cifar10
Data:     cifar10, prepared offline (README, "Real data").
Paper:    3.03 bits/dim on the test set (Table 1; PixelCNN 3.14). Not run here (needs the data).
"""

import gated_pixelcnn_digits
from jaxgen.core.config import reproduce


def get_config(arg=None):
  config = gated_pixelcnn_digits.get_config(arg)
  config.description = ("Gated PixelCNN, 20 layers x 384, 5x5, 256-way softmax, "
                        "CIFAR-10 (Table 1: 3.03 bits/dim)")
  config.data.name = "cifar10"
  config.model.features = 384
  config.model.num_layers = 20
  config.model.kernel_size = 5
  config.model.output_features = 1026  # the paper gives none; a multiple of the 3 channel groups
  config.model.dropout = 0.0
  # FID needs Inception weights on disk: --config.eval.fid_extractor=inception
  config.eval.fid_extractor = ""
  reproduce(config, ('bits_per_dim ~= 3.03 +- 0.05',),
            source='van den Oord et al. 2016b Table 1',
            paper='3.03',
            protocol='CIFAR-10 test, exact -log2 P / 3072 over 256 levels',
            compute='GPU; not run here (needs TFDS CIFAR-10)')
  if arg == "smoke":
    config.model.features = 12
    config.model.num_layers = 2
    config.model.kernel_size = 3
    config.model.output_features = 24
    return config
  config.train.num_steps = 200_000
  config.train.batch_size = 128
  config.eval.batch_size = 500
  config.log_every = 500
  config.eval_every = 10_000
  config.checkpoint_every = 5_000
  return config
