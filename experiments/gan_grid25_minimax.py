"""The plain minimax GAN on grid25: gan_grid25.py without its cure, to show mode collapse.

Launch:   jaxgen train --config experiments/gan_grid25_minimax.py --workdir runs/gan_grid25_minimax
Evaluate: jaxgen eval --workdir runs/gan_grid25_minimax
The same on the ring: jaxgen train --config experiments/gan_ring8.py --workdir runs/gan_ring8_minimax
  --config.loss.name=minimax --config.model.pack=1 ...(the other overrides below)

Goodfellow et al. 2014's minimax loss, no packing; otherwise gan_grid25.py (networks, optimizer,
steps, EMA). Compare PacGAN Table 1's GAN row (grid 17.3 modes / 94.8% high quality).
Expected: ...
"""

import gan_grid25


def get_config(arg=None):
  config = gan_grid25.get_config(arg)
  config.description = "Plain minimax GAN on grid25 (no packing): the mode-collapse baseline"
  config.loss.name = "minimax"
  config.model.pack = 1
  return config
