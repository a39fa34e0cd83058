"""CycleGAN (Zhu et al. 2017) between two Fashion-MNIST classes: T-shirts/tops (0) <-> shirts
(6), unpaired, as cyclegan_sneaker_boot.py (the same networks, no identity term, 3,000 steps).
The feature classifier confuses these two most of all: it calls 0.888 of the real test T-shirts
T-shirts and 0.780 of the real shirts shirts, below the 0.90 floor asked of the translations.

Launch:   jaxgen train --config experiments/cyclegan_tshirt_shirt.py --workdir runs/tshirt_shirt
Evaluate: jaxgen eval --workdir runs/tshirt_shirt  (target_accuracy_ab/_ba, fid_ab/_ba, ...)
Floors (issue #34): target-class accuracy >= 0.90 both ways, cycle PSNR >= 20 dB.
Result (test, seed 0): T-shirt -> shirt 0.827, shirt -> T-shirt 0.567; cycle PSNR 25.2 / 23.4
          dB; FMNIST-FID to the target 30.8 / 27.5 (1,500 steps: 0.863 / 0.488).
"""

import cyclegan_sneaker_boot


def get_config(arg=None):
  config = cyclegan_sneaker_boot.get_config(arg)
  config.description = "CycleGAN between Fashion-MNIST classes: T-shirts/tops <-> shirts"
  config.data.domain_classes = (0, 6)  # domain A: T-shirts/tops, domain B: shirts
  return config
