"""DDPM on CIFAR-10 (TFDS) with Ho et al.'s hyper-parameters (Ho et al. 2020, Sec. 4, App. B).

The 35.7M-parameter U-Net (ch 128, (1, 2, 2, 2), attention at 16x16), Adam 2e-4, batch 128, EMA
0.9999, 800,000 steps, random horizontal flips (App. B), ancestral sampling.

Launch:   jaxgen train --config experiments/ddpm_cifar10.py --workdir runs/ddpm_cifar10
Evaluate: JAXGEN_FID_WEIGHTS=fid_inception.npz jaxgen eval --workdir runs/ddpm_cifar10
Data:     cifar10, prepared offline (README, "Real data").
Paper:    Table 1 (L_simple): FID 3.17, IS 9.46, NLL <= 3.75 bits/dim. Not run here (needs the
          data). FID and IS as the paper: 50,000 samples, the FID Inception, TTUR's resizing.
"""

import _ddpm_base
from jaxgen.core.config import reproduce


def get_config(arg=None):
  config = _ddpm_base.get_config(arg)
  config.description = ("DDPM, Ho et al.'s 35.7M U-Net, CIFAR-10 "
                        "(Table 1: FID 3.17, 3.75 bits/dim)")
  config.data.name = "cifar10"
  config.data.random_flip = True  # Ho et al. App. B: flips improved sample quality slightly
  config.model.attn_resolutions = (16,)
  config.sample.sampler = "ancestral"
  # The FID Inception ($JAXGEN_FID_WEIGHTS; `jaxgen eval` says so when it is not there), its
  # default legacy_tf resizing; FID against the train split's statistics, IS on the same samples.
  config.eval.fid_extractor = "inception"
  if arg == "smoke":
    config.model.ch_mult = (1, 2)  # the middle attention at 16x16, not over all 32x32 positions
    config.eval.fid_extractor = ""  # runs where no FID weights are installed
    return config
  config.model.ch = 128
  config.model.ch_mult = (1, 2, 2, 2)
  config.model.num_res_blocks = 2
  config.model.dropout = 0.1
  config.model.num_groups = 32
  config.train.num_steps = 800_000
  config.train.batch_size = 128
  config.train.ema_decay = 0.9999
  config.optimizer.learning_rate = 2e-4
  config.optimizer.warmup_steps = 5000
  config.optimizer.schedule = "constant"
  config.optimizer.grad_clip_norm = 1.0
  config.eval.batch_size = 256
  config.eval.num_samples = 64
  config.eval.num_image_samples = 50_000  # Ho et al.: FID and IS of 50,000 samples
  config.eval.fid_vs_steps_samples = 10_000
  config.eval.bound_chunk = 10  # 10 timesteps x 256 images per network call
  config.log_every = 500
  config.eval_every = 50_000
  config.checkpoint_every = 10_000
  reproduce(config, ('fid ~= 3.17 +- 0.5', 'inception_score ~= 9.46 +- 0.3'),
            source='Ho et al. 2020 Table 1 (L_simple): FID 3.17, IS 9.46, NLL <= 3.75',
            paper='3.17 / 9.46',
            protocol='50,000 samples; FID Inception (2015 graph), legacy_tf resize, vs train',
            compute='800k steps on a GPU/TPU; not run here')
  return config
