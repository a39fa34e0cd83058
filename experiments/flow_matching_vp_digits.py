"""The VP SDE (Song et al. 2021) in continuous time on 8x8 digits: flow_matching_digits' U-Net.

beta 0.1 -> 20 (DDPM's linear schedule as T -> infinity), epsilon target, t_min 1e-3; every
sampler of the family, the reverse-SDE ones (Euler-Maruyama, predictor-corrector) included, in
the FID-against-NFE table.

Launch:   jaxgen train --config experiments/flow_matching_vp_digits.py --workdir runs/vp_digits
Evaluate: jaxgen eval --workdir runs/vp_digits
Expected (seed 0, 3,500 steps, 45 min on 2 busy CPU cores; evaluation ~60 min): ODE 2.068 +-
0.013 bits/dim; digits-FID 1.01 (10,000 DPM-Solver++ 10-step samples); FID of 1,000 samples:
predictor-corrector 0.49 at 1,000 NFE, Euler-Maruyama 0.64 at 100, DPM-Solver++ 1.19 at 10.
"""

import _flow_matching_base


def get_config(arg=None):
  config = _flow_matching_base.get_config(arg)
  config.description = "VP SDE, epsilon target, U-Net ch 32 (1, 2), 8x8 digits"
  config.path.name = "vp"
  config.path.t_min = 1e-3
  config.parameterisation = "epsilon"
  if arg != "smoke":
    config.eval.fid_vs_nfe = config.eval.fid_vs_nfe + (
        ("euler_maruyama", 100), ("euler_maruyama", 1000), ("pc", 100), ("pc", 500))
  return config
