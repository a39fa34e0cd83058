"""Glow on CIFAR-10 (TFDS), the paper's quantitative setup (Kingma & Dhariwal 2018, Table 2: 3.35
bits/dim on the test set; RealNVP: 3.49).

Launch:   jaxgen train --config experiments/glow_cifar10.py --workdir runs/glow_cifar10
Evaluate: jaxgen eval --workdir runs/glow_cifar10
Needs the data prepared offline: `tfds build cifar10 --data_dir=DIR`, TFDS_DATA_DIR=DIR.

The openai/glow README's CIFAR-10 command: 3 scales (--n_level 3) of 32 steps (--depth 32),
512-channel coupling networks (--width 512), affine couplings (--flow_coupling 1), the invertible
1x1 convolution (--flow_permutation 2; the code's default is the plain, not LU, version), learned
top prior (--learntop), learning rate 1e-3 warmed up linearly over 10 epochs, 8 bits
(--n_bits_x 8), 8 processes x 64 images = 512 per step. Differences: Adam (the code defaults to
Adamax; the paper names Adam), no Polyak averaging, no horizontal-flip augmentation, and a fixed
200,000-step run with cosine decay (the code trains until stopped). ``:smoke`` shrinks the
network (2 steps, 16 channels) so that it compiles in seconds on a CPU.
Expected: 3.35 bits/dim (paper); not measured here (no network for the data).
"""

import glow_digits
from jaxgen.core.config import reproduce


def get_config(arg=None):
  config = glow_digits.get_config(arg)
  config.description = "Glow, 3 scales x 32 steps, width 512, affine, CIFAR-10 (Table 2: 3.35 bits/dim)"
  config.data.name = "cifar10"
  config.model.num_scales = 3
  config.model.steps_per_scale = 32
  config.model.features = 512
  config.model.permutation = "conv"
  config.eval.fid_extractor = ""  # FID needs Inception weights on disk: --config.eval.fid_extractor=inception
  if arg == "smoke":
    config.model.steps_per_scale = 2
    config.model.features = 16
    return config
  config.train.num_steps = 200_000
  config.train.batch_size = 512
  config.optimizer.learning_rate = 1e-3
  config.optimizer.warmup_steps = 1_000  # 10 epochs of 50,000 images at 512 per step
  config.eval.batch_size = 500
  config.log_every = 500
  config.eval_every = 10_000
  config.checkpoint_every = 5_000
  reproduce(config, ('bits_per_dim ~= 3.35 +- 0.05',),
            source='Kingma & Dhariwal 2018 Table 2',
            paper='3.35',
            protocol='CIFAR-10 test, 256 levels dequantized',
            compute='GPU; not run here (needs TFDS CIFAR-10)')
  return config
