"""Flow matching (OT path, velocity target) on Fashion-MNIST: ddpm_fashion_mnist's U-Net and steps.

The same small U-Net (ch 32, multipliers (1, 2, 2), attention at 7x7), batch 64, 6,000 steps;
10-step DPM-Solver++(2M) samples; FID against NFE on the FMNIST features; the probability-flow
ODE's bits/dim of the first 300 uniformly dequantized test images (each costs ~300 U-Net calls).

Launch:   jaxgen train --config experiments/flow_matching_fashion_mnist.py --workdir runs/fm_fmnist
Evaluate: jaxgen eval --workdir runs/fm_fmnist
Data:     fashion_mnist (Debian's dataset-fashion-mnist, read offline).
Expected: not yet measured (issue #32; about 5 h of training on 2 CPU cores).
"""

import _flow_matching_base


def get_config(arg=None):
  config = _flow_matching_base.get_config(arg)
  config.description = "flow matching, OT path, U-Net ch 32 (1, 2, 2), Fashion-MNIST"
  config.data.name = "fashion_mnist"
  config.eval.fid_extractor = "fashion_mnist"
  if arg == "smoke":
    return config
  config.model.ch_mult = (1, 2, 2)
  config.model.attn_resolutions = (7,)
  config.train.num_steps = 6000
  config.eval.batch_size = 300  # one batch of the likelihood pass: the first 300 test images,
  config.eval.num_examples = 300  # as on digits
  config.eval_every = 2000
  config.checkpoint_every = 1000
  config.eval.fid_vs_nfe = (("euler", 10), ("euler", 50), ("heun", 5), ("heun", 10),
                            ("dpmpp_2m", 5), ("dpmpp_2m", 10), ("dpmpp_2m", 20), ("dopri5", 0))
  return config
