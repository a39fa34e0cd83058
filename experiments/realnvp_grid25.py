"""RealNVP on grid25, the 5x5 grid of Gaussians (std 0.05): NLL against the known entropy.

Launch:   jaxgen train --config experiments/realnvp_grid25.py --workdir runs/realnvp_grid25
Evaluate: jaxgen eval --workdir runs/realnvp_grid25
Expected: kl_gap <= 0.30 nats.
"""

import realnvp_moons


def get_config(arg=None):
  config = realnvp_moons.get_config(arg)
  config.description = "RealNVP on grid25"
  config.data.name = "grid25"
  return config
