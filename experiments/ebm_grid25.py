"""Energy-based model on grid25: the model and training of ebm_ring8 on the 5x5 grid.

Du & Mordatch 2019's contrastive divergence with a replay buffer; the normaliser by grid
integration, so the test NLL and its gap to the true entropy are exact up to the grid.

Launch:   jaxgen train --config experiments/ebm_grid25.py --workdir runs/ebm_grid25
Evaluate: jaxgen eval --workdir runs/ebm_grid25
Expected (10,000 steps, 5 min on shared cores): test kl_gap 0.535 / 0.683 / 0.326 nats over
seeds 0-2 (0.51 +- 0.18; floor 0.5), 25 of 25 modes each, high-quality fraction 0.49-0.52.
"""

import ebm_ring8
from jaxgen.core.config import reproduce


def get_config(arg=None):
  config = ebm_ring8.get_config(arg)
  config.description = "EBM, MLP energy 3 x 128, SGLD 40 steps + replay buffer, grid25"
  config.data.name = "grid25"
  reproduce(config, ('kl_gap <= 0.5', 'modes_captured == 25'),
            source='issue #35 floor (true entropy by Monte Carlo; Z by grid integration)',
            protocol='10,000 test points, NLL = E(x) + log Z on the grid; 2,500 Langevin samples',
            compute='minutes on 2 CPU cores')
  return config
