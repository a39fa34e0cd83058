"""2-rectified flow on 8x8 digits (Liu et al. 2023): flow_matching_digits retrained on its own pairs.

flow_matching_digits (OT path, sigma_min 0: a 1-rectified flow) maps 10,000 draws z to x by its
ODE; reflow trains on those pairs from its weights, straightening its paths for 1-2 Euler steps.

Pairs:    jaxgen sample --workdir runs/fm_digits --num 10000 --out runs/fm_digits/pairs.npz \
            --config.sample.with_noise=True --config.sample.sampler=dopri5 --seed 1
Launch:   jaxgen train --config experiments/rectified_flow_reflow_digits.py --workdir runs/reflow_digits
Evaluate: jaxgen eval --workdir runs/reflow_digits
Expected (seed 0; pairs 23 min, 2,000 steps 5 min, evaluation 3 min on 2 CPU cores): FID of 1,000
Euler samples at 1 / 2 / 4 steps 1.94 / 0.99 / 0.74 (flow_matching_digits: 85.7 / 7.5 / 2.0).
"""

import _flow_matching_base
from jaxgen.core.config import reproduce


def get_config(arg=None):
  config = _flow_matching_base.get_config(arg)
  config.description = "2-rectified flow (reflow of flow_matching_digits), 8x8 digits"
  config.init_from = "runs/fm_digits"
  config.reflow.pairs = "runs/fm_digits/pairs.npz"
  config.sample.sampler = "euler"
  config.sample.num_steps = 2
  config.eval.likelihood = False  # the 1-rectified flow's is the density model; here speed
  if arg != "smoke":
    config.train.num_steps = 2000
    config.eval.fid_vs_nfe = (("euler", 1), ("euler", 2), ("euler", 4), ("euler", 10),
                              ("dpmpp_2m", 10), ("dopri5", 0))
  reproduce(config, ('fid_euler2 <= 3.0',),
            source='issue #32 floor: rectified flow after reflow at 2 NFE',
            protocol='1,000 two-step Euler samples, digits classifier, FID vs train',
            compute='pairs, training and evaluation: about 1.5 h on 2 CPU cores')
  return config
