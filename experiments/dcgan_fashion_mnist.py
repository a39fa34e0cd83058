"""DCGAN on Fashion-MNIST 28x28 with Radford et al.'s hyper-parameters (as dcgan_mnist).

G 100 -> 7x7x128 -> 14x14x64 -> 28x28x1, D its mirror, batch norm in both, Adam 2e-4
(beta1 0.5), batch 64, 10,000 steps (~12 epochs), non-saturating loss; 1.6 steps/s measured on
2 CPU cores shared with two other runs.

Launch:   jaxgen train --config experiments/dcgan_fashion_mnist.py --workdir runs/dcgan_fmnist
Evaluate: jaxgen eval --workdir runs/dcgan_fmnist
Data:     fashion_mnist (Debian's dataset-fashion-mnist, read offline).
Measured (seed 0, 10,000 steps, ~1.7 h on cores shared with 2-4 runs): 10,000 samples, FMNIST-FID
7.89, KID 0.087, precision/recall 0.37/0.82, all 10 classes at 7.5-12.5% (issue #30: 5-15%).
"""

import _dcgan_base
from jaxgen.core.config import reproduce


def get_config(arg=None):
  config = _dcgan_base.get_config(arg)
  config.description = "DCGAN on Fashion-MNIST 28x28 (Radford et al. 2016 hyper-parameters)"
  config.data.name = "fashion_mnist"
  config.eval.fid_extractor = "fashion_mnist"
  if arg != "smoke":
    config.train.num_steps = 10_000
    config.eval.num_image_samples = 10_000
    config.eval_every = 2000
    config.checkpoint_every = 2000
  reproduce(config, ('num_classes_generated == 10', 'min_class_frac >= 0.05',
                     'max_class_frac <= 0.15'),
            source='issue #30 floor',
            protocol='10,000 samples, Fashion-MNIST classifier; FID/KID vs the train split',
            compute='2 CPU cores')
  return config
