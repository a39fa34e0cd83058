"""IWAE (Burda et al. 2016) on binarized MNIST (TFDS), k=50: the paper's one-layer model.

2 x 200 units, 50 latents, batch 20, Adam eps 1e-4, 3,280 epochs, evaluation with k = 5000;
ReLU for tanh and a cosine decay for the paper's step schedule.

Launch:   jaxgen train --config experiments/iwae_binarized_mnist.py --workdir runs/iwae_bin_mnist
Evaluate: jaxgen eval --workdir runs/iwae_bin_mnist
Variants: --config.loss.num_samples=5 (k = 5); --config.loss.name=elbo --config.loss.num_samples=1
Data:     binarized_mnist, prepared offline (README, "Real data").
Paper:    Burda et al. 2016, Table 1, k=50: 87.1 nats (as Pythae lists it); Pythae (Chadebec et
          al. 2022) reproduced 86.82 nats. Not run here (needs the data).
"""

import vae_binarized_mnist
from jaxgen.core.config import reproduce

EPOCH_STEPS = 2500  # 50,000 training images / batch 20


def get_config(arg=None):
  config = vae_binarized_mnist.get_config(arg)
  config.description = "IWAE k=50 on binarized MNIST (Burda et al. 2016: 2x200, latent 50)"
  config.model.hidden = (200, 200)
  config.model.latent_dim = 50
  config.loss.name = "iwae"
  config.loss.num_samples = 50
  config.optimizer.eps = 1e-4
  if arg != "smoke":
    config.eval.num_importance_samples = 5000
    config.train.num_steps = 3280 * EPOCH_STEPS
    config.train.batch_size = 20
    config.eval_every = 100 * EPOCH_STEPS
    config.checkpoint_every = 10 * EPOCH_STEPS
  reproduce(config, ('nll_iwae ~= 86.82 +- 1.0',),
            source="Pythae's reproduced IWAE k=50 (Chadebec et al. 2022)",
            paper='86.82',
            protocol='IWAE k=5000',
            compute='GPU; not run here (needs TFDS MNIST)')
  return config
