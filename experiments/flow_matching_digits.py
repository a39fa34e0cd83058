"""Conditional flow matching (Lipman et al. 2023) on 8x8 digits: ddpm_digits' 0.7M-parameter U-Net.

The optimal-transport path with the velocity target; 10-step DPM-Solver++(2M) samples; FID
against NFE for Euler, Heun, DPM-Solver++(2M) and Dormand-Prince (fid_vs_nfe.{json,md,png}); the
probability-flow ODE's bits/dim of the uniformly dequantized test digits (Hutchinson).

Launch:   jaxgen train --config experiments/flow_matching_digits.py --workdir runs/fm_digits
Evaluate: jaxgen eval --workdir runs/fm_digits
Expected (seed 0, 3,500 steps, 46 min on 2 busy CPU cores; evaluation 17 min): ODE 1.924 +-
0.014 bits/dim (289 NFE); digits-FID 0.76, P 0.52, R 0.95 (10,000 samples); FID at 10 NFE 0.79
(DPM-Solver++), 0.84 (Euler) against ddpm_digits' DDIM-50 at eta 0, 1.15 (1,000 samples each).
"""

import _flow_matching_base
from jaxgen.core.config import reproduce


def get_config(arg=None):
  config = _flow_matching_base.get_config(arg)
  config.description = "flow matching, OT path, U-Net ch 32 (1, 2), 8x8 digits"
  reproduce(config, ('fid_dpmpp_2m10 <= 1.151', 'num_classes_generated == 10',
                     'min_class_frac >= 0.05', 'max_class_frac <= 0.15'),
            source="issue #32 floor: a 10-NFE sampler at or below ddpm_digits' deterministic "
                   'DDIM-50 (1.151, 1,000 samples, seed 0)',
            protocol='1,000 samples per sampler, digits classifier, FID vs train',
            compute='about 65 min on 2 busy CPU cores')
  return config
