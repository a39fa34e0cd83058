"""DDPM on CelebA 64x64 (TFDS), the model DDIM samples in Song et al. 2021.

ddpm_cifar10's recipe (random flips included) on a U-Net with multipliers (1, 2, 2, 2, 4);
celeb_a's central 140x140 crop resized to 64x64.

Launch:   jaxgen train --config experiments/ddpm_celeba64.py --workdir runs/ddpm_celeba64
Evaluate: jaxgen eval --workdir runs/ddpm_celeba64 --config.eval.fid_extractor=inception
Data:     celeb_a, prepared offline (README, "Real data").
Paper:    FID against DDIM steps (10, 20, 50, 100, 1000): Song et al. 2021, Table 1. Not run here
          (needs the data); target FID <= 20 (jaxgen baseline).
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
