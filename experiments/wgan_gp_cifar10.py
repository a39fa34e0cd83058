"""WGAN-GP (Gulrajani et al. 2017) on CIFAR-10 (TFDS) with their DCGAN-style networks.

gan_cifar.py: lambda 10, 5 critic iterations of 64 images, Adam 1e-4 (0.5, 0.9), 128-d noise,
200,000 steps, no normalization in the critic.

Launch:   jaxgen train --config experiments/wgan_gp_cifar10.py --workdir runs/wgan_gp_cifar10
Evaluate: JAXGEN_FID_WEIGHTS=fid_inception.npz jaxgen eval --workdir runs/wgan_gp_cifar10
Data:     cifar10, prepared offline (README, "Real data").
Paper:    Table 3 Inception Score 7.86 +- .07 with their ResNets (not in jaxgen); with these
          networks Figure 3 shows WGAN-GP on par with DCGAN (6.16). Not run here (needs the data).
"""

import _dcgan_base
from jaxgen.core.config import reproduce


def get_config(arg=None):
  config = _dcgan_base.get_config(arg)
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
            source=('Gulrajani et al. 2017 Fig. 3 (DCGAN-style nets on par with DCGAN, '
                    'Table 3: 6.16; ResNet: 7.86)'),
            paper='7.86 (ResNet)',
            protocol='50,000 samples, 10 splits, Inception-v3',
            compute='GPU; not run here (needs TFDS CIFAR-10)')
  return config
