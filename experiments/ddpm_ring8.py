"""DDPM on the ring of 8 Gaussians (radius 2, std 0.02) with a residual MLP denoiser.

4 blocks of 256 units, L_simple, T = 1000 linear, ancestral sampling.

Launch:   jaxgen train --config experiments/ddpm_ring8.py --workdir runs/ddpm_ring8
Evaluate: jaxgen eval --workdir runs/ddpm_ring8
Expected (seed 0, 10,000 steps): 8/8 modes, high_quality_frac 0.990 (2,500 samples, within 3 std
of a mode centre), the mode-collapse benchmark of VEEGAN (Srivastava et al. 2017) and PacGAN.
"""

import _ddpm_base
from jaxgen.core.config import reproduce


def get_config(arg=None):
  config = _ddpm_base.get_config(arg)
  config.description = "DDPM, residual MLP denoiser, L_simple, T=1000 linear, ring8"
  config.data.name = "ring8"
  config.data.scale = "0_1"  # points are not rescaled (the image-only option keeps its default)
  config.model.name = "mlp"
  config.model.width = 256
  config.model.num_blocks = 4
  config.sample.sampler = "ancestral"
  config.eval.fid_extractor = ""
  config.eval.fid_vs_steps = ()
  config.eval.fid_vs_steps_ancestral = False
  config.eval.batch_size = 2500
  config.eval.num_samples = 1000  # the scatter plot at each eval
  if arg == "smoke":
    config.eval.batch_size = 64
    config.eval.num_mode_samples = 128
    config.eval.num_samples = 64
    return config
  config.train.num_steps = 10_000
  config.train.batch_size = 256
  config.train.ema_decay = 0.999
  config.optimizer.learning_rate = 1e-3
  config.log_every = 500
  config.eval_every = 10_000
  config.checkpoint_every = 2500
  reproduce(config, ('modes_captured == 8', 'high_quality_frac >= 0.90'),
            source='jaxgen baseline',
            protocol='2,500 samples, within 3 std',
            compute='minutes on 2 CPU cores')
  return config
