"""DDPM on MNIST (TFDS), Ho et al.'s recipe on a 28x28 U-Net.

Launch:   jaxgen train --config experiments/ddpm_mnist.py --workdir runs/ddpm_mnist
Evaluate: jaxgen eval --workdir runs/ddpm_mnist
Needs the data prepared offline: `tfds build mnist --data_dir=DIR`, TFDS_DATA_DIR=DIR.

ddpm_cifar10's training recipe (T = 1000 linear, epsilon, L_simple, Adam 2e-4 with 5,000 warm-up
steps, batch 128, EMA 0.9999, clipping at 1) on a U-Net for 28x28: ch 64, multipliers (1, 2, 2)
(28, 14, 7), 2 residual blocks, attention at 14x14, dropout 0.1; 100,000 steps. Ho et al. report
no MNIST result; evaluation gives the 1000-term bound in bits/dim of the 256-level data (compare
RealNVP 1.06, Glow 1.05 in REFERENCES.md, which are dequantized-density numbers).
Expected: not measured here (no network for the data).
"""

import ddpm_cifar10
from jaxgen.core.config import reproduce


def get_config(arg=None):
  config = ddpm_cifar10.get_config(arg)
  config.description = "DDPM, U-Net ch 64 (1, 2, 2), MNIST"
  config.data.name = "mnist"
  config.model.attn_resolutions = (14,)
  if arg == "smoke":
    return config
  config.model.ch = 64
  config.model.ch_mult = (1, 2, 2)
  config.train.num_steps = 100_000
  config.eval_every = 10_000
  reproduce(config, ('bits_per_dim <= 1.5',),
            source='jaxgen baseline (not run here: needs TFDS MNIST)',
            protocol='the full bound over T terms, 256 levels',
            compute='GPU')
  return config
