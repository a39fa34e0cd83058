"""Glow on CIFAR-10 (TFDS) in the openai/glow README's setup (Kingma & Dhariwal 2018).

3 scales x 32 steps, width 512, affine couplings, the 1x1 convolution, learned top prior, 512
images per step, lr 1e-3 warmed up over 10 epochs; Adam, no Polyak averaging or flips, 200,000
steps with cosine decay.

Launch:   jaxgen train --config experiments/glow_cifar10.py --workdir runs/glow_cifar10
Evaluate: jaxgen eval --workdir runs/glow_cifar10
Data:     cifar10, prepared offline (README, "Real data").
Paper:    3.35 bits/dim on the test set (Kingma & Dhariwal 2018, Table 2; RealNVP 3.49). Not run
          here (needs the data).
"""

import _image_flow_base
from jaxgen.core.config import reproduce


def get_config(arg=None):
  config = _image_flow_base.get_config(arg)
  config.description = ("Glow, 3 scales x 32 steps, width 512, affine, "
                        "CIFAR-10 (Table 2: 3.35 bits/dim)")
  config.data.name = "cifar10"
  config.model.num_scales = 3
  config.model.steps_per_scale = 32
  config.model.features = 512
  config.model.permutation = "conv"
  # FID needs Inception weights on disk: --config.eval.fid_extractor=inception
  config.eval.fid_extractor = ""
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
