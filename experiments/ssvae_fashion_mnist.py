"""M1+M2 (Kingma et al. 2014) on Fashion-MNIST with 10 labelled images per class (100 of 55,000).

Launch:   jaxgen train --config experiments/ssvae_fashion_mnist.py --workdir runs/ssvae_fmnist
Evaluate: jaxgen eval --workdir runs/ssvae_fmnist
Data:     fashion_mnist (Debian's dataset-fashion-mnist, read offline).
Sized to 1 hour on 2 CPU cores at the 20 steps/s measured in both stages: M1 20,000 steps
(~47 epochs), M2 20,000. A batch holds 0.23 labelled images on average, each weighing
alpha N / N_l = 55 times its cross-entropy (the paper's beta). Measured (seed 0; 64 min, the
cores shared with another Fashion-MNIST run): test accuracy 0.757 (validation 0.779, flat after
~8,000 M2 steps); m1_negative_elbo 1893.2, negative_elbo 1888.4 nats.
"""

import ssvae_digits


def get_config(arg=None):
  config = ssvae_digits.get_config(arg)
  config.description = "M1+M2, MLP M1 (500, 500; z1 50) and M2 (500; z2 50), 10 labels per class"
  config.data.name = "fashion_mnist"
  config.model.m1_hidden = (500, 500)  # the paper's MNIST networks
  config.model.m2_hidden = (500,)
  config.model.z2_dim = 50
  if arg != "smoke":
    config.train.num_steps = 40_000
    config.model.m1_steps = 20_000
    config.eval_every = 2000
    config.checkpoint_every = 2000
  return config
