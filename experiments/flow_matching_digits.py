"""Conditional flow matching (Lipman et al. 2023) on 8x8 digits: ddpm_digits' 0.7M-parameter U-Net.

The optimal-transport path with the velocity target; 10-step DPM-Solver++(2M) samples; FID
against NFE for Euler, Heun, DPM-Solver++(2M) and Dormand-Prince (fid_vs_nfe.{json,md,png}); the
probability-flow ODE's bits/dim of the uniformly dequantized test digits (Hutchinson).

Launch:   jaxgen train --config experiments/flow_matching_digits.py --workdir runs/fm_digits
Evaluate: jaxgen eval --workdir runs/fm_digits
Expected: filled in from the measured run.
"""

import _flow_matching_base


def get_config(arg=None):
  config = _flow_matching_base.get_config(arg)
  config.description = "flow matching, OT path, U-Net ch 32 (1, 2), 8x8 digits"
  return config
