"""DDPM on CIFAR-10 (TFDS) with Ho et al.'s exact hyper-parameters (Ho et al. 2020, Sec. 4 and
App. B; Table 1: FID 3.17, IS 9.46, NLL <= 3.75 bits/dim for L_simple).

Launch:   jaxgen train --config experiments/ddpm_cifar10.py --workdir runs/ddpm_cifar10
Evaluate: jaxgen eval --workdir runs/ddpm_cifar10 --config.eval.fid_extractor=inception
Needs the data prepared offline: `tfds build cifar10 --data_dir=DIR`, TFDS_DATA_DIR=DIR; FID/IS
need the Inception weights on disk (jaxgen.eval.features).

U-Net of 35.7M parameters: ch 128, multipliers (1, 2, 2, 2), 2 residual blocks per resolution,
self-attention at 16x16, dropout 0.1; T = 1000, linear betas 1e-4 -> 0.02, epsilon prediction,
L_simple, ancestral sampling with the fixed small variance. Adam 2e-4 with 5,000 linear warm-up
steps, batch 128, gradient clipping at norm 1, EMA 0.9999, 800,000 steps. Difference: no random
horizontal flips (the data pipeline has no augmentation). Evaluation: the full 1000-term bound on
the test set, FID/IS of 10,000 ancestral samples (Ho et al. use 50,000) and FID against DDIM steps.
``:smoke`` shrinks the U-Net (ch 16, one block) and T (50) so it runs in seconds on a CPU.
Expected: FID 3.17, IS 9.46, 3.75 bits/dim (paper); not measured here (no network for the data).
"""

import ddpm_digits
from jaxgen.core.config import reproduce


def get_config(arg=None):
  config = ddpm_digits.get_config(arg)
  config.description = "DDPM, Ho et al.'s 35.7M U-Net, CIFAR-10 (Table 1: FID 3.17, 3.75 bits/dim)"
  config.data.name = "cifar10"
  config.model.attn_resolutions = (16,)
  config.sample.sampler = "ancestral"
  config.eval.fid_extractor = ""  # needs Inception weights on disk: --config.eval.fid_extractor=inception
  if arg == "smoke":
    config.model.ch_mult = (1, 2)  # the middle attention at 16x16, not over all 32x32 positions
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
  config.eval.num_image_samples = 10_000
  config.eval.fid_vs_steps_samples = 10_000
  config.eval.bound_chunk = 10  # 10 timesteps x 256 images per network call
  config.log_every = 500
  config.eval_every = 50_000
  config.checkpoint_every = 10_000
  reproduce(config, ('fid ~= 3.17 +- 0.5',),
            source='Ho et al. 2020 Table 1 (L_simple): FID 3.17, IS 9.46, NLL <= 3.75',
            paper='3.17',
            protocol='Inception FID vs train (the paper: 50,000 samples; config: 10,000)',
            compute='800k steps on a GPU/TPU; not run here')
  return config
