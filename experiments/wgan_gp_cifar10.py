"""WGAN-GP (Gulrajani et al. 2017) on CIFAR-10 with their DCGAN-style networks (TFDS data).

Launch:   jaxgen train --config experiments/wgan_gp_cifar10.py --workdir runs/wgan_gp_cifar10
Evaluate: JAXGEN_INCEPTION_WEIGHTS=inception_v3.npz jaxgen eval --workdir runs/wgan_gp_cifar10

Their CIFAR-10 setup (reference code gan_cifar.py): lambda 10, 5 critic iterations per generator
iteration, each on its own batch of 64 (train.batch_size 320 = 5 x 64), Adam 1e-4 with betas
(0.5, 0.9), 128-d noise, 200,000 generator iterations; generator 128 -> 4x4x512 -> 8x8x256 ->
16x16x128 -> 32x32x3 with batch norm, critic 32x32x3 -> 128 -> 256 -> 512 channels (5x5 stride-2
convolutions, leaky ReLU) -> 1 without any normalization.
Paper numbers (Table 3, unsupervised CIFAR-10 Inception Score): WGAN-GP 7.86 +- .07 with their
ResNet networks, which jaxgen does not implement; with these DCGAN-style networks their Figure 3
shows WGAN-GP on par with DCGAN, whose Table 3 score is 6.16 +- .07. 50,000 samples in 10 splits.
"""

import dcgan_digits
from jaxgen.core.config import reproduce


def get_config(arg=None):
  config = dcgan_digits.get_config(arg)
  config.description = "WGAN-GP on CIFAR-10, Gulrajani et al.'s DCGAN-style setup"
  config.data.name = "cifar10"
  config.model.latent_dim = 128
  config.model.features = 128
  config.model.d_norm = "none"
  config.loss.name = "wgan_gp"
  config.loss.gp_weight = 10.0
  config.train.n_critic = 5
  config.train.ema_decay = 0.0
  for optimizer in (config.optimizer, config.d_optimizer):
    optimizer.learning_rate = 1e-4
    optimizer.b1 = 0.5
    optimizer.b2 = 0.9
  config.eval.fid_extractor = "inception"
  if arg == "smoke":
    config.eval.fid_extractor = ""  # No Inception weights offline; the mocked data has no meaning.
    config.train.batch_size = 5 * 8
  else:
    config.eval.num_image_samples = 50_000
    config.train.num_steps = 200_000
    config.train.batch_size = 5 * 64
    config.log_every = 500
    config.eval_every = 5000
    config.checkpoint_every = 5000
  reproduce(config, ('inception_score ~= 6.16 +- 0.5',),
            source='Gulrajani et al. 2017 Fig. 3 (DCGAN-style nets on par with DCGAN, Table 3: 6.16; ResNet: 7.86)',
            paper='7.86 (ResNet)',
            protocol='50,000 samples, 10 splits, Inception-v3',
            compute='GPU; not run here (needs TFDS CIFAR-10)')
  return config
