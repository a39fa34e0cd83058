"""Glow's step of flow on grid25 (vectors: actnorm, LU-decomposed invertible linear map, affine
coupling with an MLP): NLL against the known entropy.

Launch:   jaxgen train --config experiments/glow_grid25.py --workdir runs/glow_grid25
Evaluate: jaxgen eval --workdir runs/glow_grid25
Expected: kl_gap <= 0.30 nats.
"""

import realnvp_grid25
from jaxgen.core.config import reproduce


def get_config(arg=None):
  config = realnvp_grid25.get_config(arg)
  config.description = "Glow steps (actnorm, LU linear map, affine coupling) on grid25"
  config.model.name = "glow"
  config.model.steps_per_scale = 8
  reproduce(config, ('kl_gap <= 0.30',),
            source='issue #6 floor',
            protocol="test NLL minus the mixture's true entropy, nats",
            compute='1-2 min on 2 CPU cores')
  return config
