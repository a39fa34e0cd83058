"""Conditional flow matching on the 5x5 grid of Gaussians (PacGAN's, std 0.05).

flow_matching_ring8's model and training; the ODE log-likelihood beside nsf_grid25's (kl_gap
0.156) and the mode counts beside ddpm_grid25's.

Launch:   jaxgen train --config experiments/flow_matching_grid25.py --workdir runs/fm_grid25
Evaluate: jaxgen eval --workdir runs/fm_grid25
Expected: filled in from the measured run.
"""

import flow_matching_ring8


def get_config(arg=None):
  config = flow_matching_ring8.get_config(arg)
  config.description = "flow matching, OT path, residual MLP, grid25"
  config.data.name = "grid25"
  return config
