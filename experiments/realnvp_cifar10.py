"""RealNVP on CIFAR-10 (TFDS), the paper's setup (Dinh et al. 2017, Table 1: 3.49 bits/dim on the
test set).

Launch:   jaxgen train --config experiments/realnvp_cifar10.py --workdir runs/realnvp_cifar10
Evaluate: jaxgen eval --workdir runs/realnvp_cifar10
Needs the data prepared offline: `tfds build cifar10 --data_dir=DIR`, TFDS_DATA_DIR=DIR.

Sec. 4.1: the logit preprocessing with alpha = 0.05; for CIFAR-10 8 residual blocks of 64 feature
maps and one downscaling (2 scales: 3 checkerboard, squeeze, 3 channel-wise couplings, factor
out; then 4 checkerboard couplings); tanh-bounded scales; Adam at its default learning rate 1e-3
with L2 regularisation 5e-5; batch 64. Differences: actnorm in place of batch normalisation and
no weight normalisation in the ResNets, no horizontal-flip augmentation, and a fixed 400,000-step
run with cosine decay (the paper gives no training length). ``:smoke`` shrinks the network
(1 block of 16 maps) so that it compiles in seconds on a CPU.
Expected: 3.49 bits/dim (paper); not measured here (no network for the data).
"""

import realnvp_digits
from jaxgen.core.config import reproduce


def get_config(arg=None):
  config = realnvp_digits.get_config(arg)
  config.description = "RealNVP, 2 scales, 8 ResNet blocks of 64 maps, CIFAR-10 (Table 1: 3.49 bits/dim)"
  config.data.name = "cifar10"
  config.model.num_scales = 2
  config.model.num_blocks = 8
  config.model.features = 64
  config.eval.fid_extractor = ""  # FID needs Inception weights on disk: --config.eval.fid_extractor=inception
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
