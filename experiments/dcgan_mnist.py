"""DCGAN (Radford et al. 2016) on MNIST 28x28 (TFDS; needs the dataset downloaded, see the README).

Launch:   jaxgen train --config experiments/dcgan_mnist.py --workdir runs/dcgan_mnist
Evaluate: JAXGEN_INCEPTION_WEIGHTS=inception_v3.npz jaxgen eval --workdir runs/dcgan_mnist

DCGAN's hyper-parameters (Sec. 4): Adam 2e-4, beta1 0.5, batch 128, 100-d noise, leaky ReLU 0.2
in D, batch norm in both (not on D's input layer nor G's output), tanh output on [-1, 1] pixels;
no EMA. Generator 100 -> 7x7x128 -> 14x14x64 -> 28x28x1 (5x5 transposed convolutions, as the
authors' code), discriminator its mirror. 20,000 steps (~43 epochs).
Paper number: none; the DCGAN paper shows MNIST samples but reports no metric on them (its
Tables 1-2 are CIFAR-10 and SVHN classification with D's features). Evaluation reports Inception
FID / KID / precision / recall against the train split and the Inception Score of 10,000 samples.
"""

import dcgan_digits
from jaxgen.core.config import reproduce


def get_config(arg=None):
  config = dcgan_digits.get_config(arg)
  config.description = "DCGAN on MNIST 28x28 (Radford et al. 2016 hyper-parameters)"
  config.data.name = "mnist"
  config.model.features = 64
  config.train.ema_decay = 0.0
  config.eval.fid_extractor = "inception"
  if arg == "smoke":
    config.eval.fid_extractor = ""  # No Inception weights offline; the mocked data has no meaning.
  else:
    config.train.num_steps = 20_000
    config.train.batch_size = 128
    config.log_every = 200
    config.eval_every = 2000
    config.checkpoint_every = 2000
  reproduce(config, ('fid <= 50.0',),
            source='jaxgen baseline (not run here: needs TFDS MNIST and Inception weights)',
            protocol='10,000 samples, Inception FID vs train',
            compute='GPU')
  return config
