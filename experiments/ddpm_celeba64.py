"""DDPM on CelebA 64x64 (TFDS celeb_a: central 140x140 crop resized to 64x64), the model DDIM
samples in Song et al. 2021 (Sec. 5, App. D).

Launch:   jaxgen train --config experiments/ddpm_celeba64.py --workdir runs/ddpm_celeba64
Evaluate: jaxgen eval --workdir runs/ddpm_celeba64 --config.eval.fid_extractor=inception
Needs the data prepared offline: `tfds build celeb_a --data_dir=DIR`, TFDS_DATA_DIR=DIR.

Ho et al.'s U-Net with one more resolution for 64x64: ch 128, multipliers (1, 2, 2, 2, 4),
2 residual blocks, attention at 16x16, dropout 0.1; ddpm_cifar10's training recipe (T = 1000
linear, L_simple, Adam 2e-4, 5,000 warm-up steps, batch 128, EMA 0.9999). FID against DDIM steps
(10, 20, 50, 100, 1000) is the comparison of Song et al.'s Table 1.
Expected: not measured here (no network for the data); see Song et al. 2021, Table 1.
"""

import ddpm_cifar10
from jaxgen.core.config import reproduce


def get_config(arg=None):
  config = ddpm_cifar10.get_config(arg)
  config.description = "DDPM, U-Net ch 128 (1, 2, 2, 2, 4), CelebA 64x64"
  config.data.name = "celeb_a"
  if arg == "smoke":
    config.model.ch_mult = (1, 2, 2)  # down to 16x16, so the middle attention stays small
    return config
  config.model.ch_mult = (1, 2, 2, 2, 4)
  config.train.num_steps = 500_000
  config.eval.batch_size = 128
  config.eval.bound_chunk = 10
  reproduce(config, ('fid <= 20.0',),
            source='jaxgen baseline (not run here: needs TFDS CelebA)',
            protocol='Inception FID vs train',
            compute='GPU')
  return config
