"""RealNVP on ring8, the ring of 8 Gaussians (std 0.02): NLL against the known entropy.

Launch:   jaxgen train --config experiments/realnvp_ring8.py --workdir runs/realnvp_ring8
Evaluate: jaxgen eval --workdir runs/realnvp_ring8
Expected: kl_gap <= 0.30 nats.
"""

import realnvp_moons
from jaxgen.core.config import reproduce


def get_config(arg=None):
  config = realnvp_moons.get_config(arg)
  config.description = "RealNVP on ring8"
  config.data.name = "ring8"
  reproduce(config, ('kl_gap <= 0.30',),
            source='issue #6 floor',
            protocol="test NLL minus the mixture's true entropy, nats",
            compute='1-2 min on 2 CPU cores')
  return config
