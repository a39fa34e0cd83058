"""The VE SDE (Song et al. 2021, SMLD in continuous time) on 8x8 digits: flow_matching_digits' U-Net.

sigma from 0.01 to 16 (about the largest distance between two digits in [-1, 1]^64), epsilon
target; every sampler of the family, the reverse-SDE ones (Euler-Maruyama, predictor-corrector,
Song et al.'s choice for VE) included, in the FID-against-NFE table.

Launch:   jaxgen train --config experiments/flow_matching_ve_digits.py --workdir runs/ve_digits
Evaluate: jaxgen eval --workdir runs/ve_digits
Expected: not yet measured (issue #32; flow_matching_vp_digits took 45 min and 60 min to evaluate).
"""

import _flow_matching_base


def get_config(arg=None):
  config = _flow_matching_base.get_config(arg)
  config.description = "VE SDE, epsilon target, U-Net ch 32 (1, 2), 8x8 digits"
  config.path.name = "ve"
  config.path.sigma_min = 0.01
  config.path.sigma_max = 16.0
  config.parameterisation = "epsilon"
  if arg != "smoke":
    config.eval.fid_vs_nfe = config.eval.fid_vs_nfe + (
        ("euler_maruyama", 100), ("euler_maruyama", 1000), ("pc", 100), ("pc", 500))
  return config
