"""RealNVP on CIFAR-10 (TFDS) in the paper's setup (Dinh et al. 2017, Sec. 4.1).

Logit preprocessing, 8 residual blocks of 64 maps, 2 scales, Adam 1e-3 with L2 5e-5, batch 64;
actnorm for batch norm, no weight norm or flips, 400,000 steps with cosine decay.

Launch:   jaxgen train --config experiments/realnvp_cifar10.py --workdir runs/realnvp_cifar10
Evaluate: jaxgen eval --workdir runs/realnvp_cifar10
Data:     cifar10, prepared offline (README, "Real data").
Paper:    3.49 bits/dim on the test set (Dinh et al. 2017, Table 1). Not run here (needs the data).
"""

import realnvp_digits
from jaxgen.core.config import reproduce


def get_config(arg=None):
  config = realnvp_digits.get_config(arg)
  config.description = ("RealNVP, 2 scales, 8 ResNet blocks of 64 maps, "
                        "CIFAR-10 (Table 1: 3.49 bits/dim)")
  config.data.name = "cifar10"
  config.model.num_scales = 2
  config.model.num_blocks = 8
  config.model.features = 64
  # FID needs Inception weights on disk: --config.eval.fid_extractor=inception
  config.eval.fid_extractor = ""
  if arg == "smoke":
    config.model.num_blocks = 1
    config.model.features = 16
    return config
  config.train.num_steps = 400_000
  config.train.batch_size = 64
  config.optimizer.learning_rate = 1e-3
  config.optimizer.weight_decay = 5e-5  # L2 (added to the gradient before Adam)
  config.optimizer.warmup_steps = 0
  config.eval.batch_size = 500
  config.log_every = 500
  config.eval_every = 20_000
  config.checkpoint_every = 5_000
  reproduce(config, ('bits_per_dim ~= 3.49 +- 0.05',),
            source='Dinh et al. 2017 Table 1',
            paper='3.49',
            protocol='CIFAR-10 test, 256 levels dequantized',
            compute='GPU; not run here (needs TFDS CIFAR-10)')
  return config
