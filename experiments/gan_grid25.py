"""GAN on the 5x5 grid of Gaussians in PacGAN's setup (Lin et al. 2018, Table 1); the GAN base config.

Launch:   jaxgen train --config experiments/gan_grid25.py --workdir runs/gan_grid25
Evaluate: jaxgen eval --workdir runs/gan_grid25
Seeds:    add --config.seed=1 (and 2) with their own workdirs.

PacGAN's architecture and optimizer: generator 2-d N(0, I) noise -> 4 x 400 ReLU units with batch
norm -> 2; discriminator 3 x 200 maxout units of 5 pieces -> 1; Adam 1e-4, beta1 0.8; batch 100;
evaluation on 2,500 samples, a sample is high quality within 3 std of its nearest mode.
PacGAN Table 1 (grid, modes / high-quality %): GAN 17.3 / 94.8, PacGAN2 23.8 / 91.3,
PacGAN4 24.8 / 93.6 (400 epochs of 1,000 steps).
Our choices within that setup, to reach all modes in far fewer steps on a CPU: ...
Expected: ...
Every GAN config imports this one and overrides what differs.
"""

from jaxgen.core.config import base_config, smoke


def get_config(arg=None):
  config = base_config()
  config.family = "gan"
  config.description = "PacGAN setup on grid25: MLP generator, maxout discriminator, packing"

  config.data.name = "grid25"

  config.model.generator = "mlp"  # mlp | dcgan
  config.model.discriminator = "mlp"  # mlp | dcgan
  config.model.latent_dim = 2
  config.model.g_hidden = (400, 400, 400, 400)
  config.model.g_norm = "batch"  # batch | layer | none
  config.model.d_hidden = (200, 200, 200)
  config.model.d_activation = "maxout"  # maxout | leaky_relu | relu
  config.model.maxout_pieces = 5
  config.model.d_norm = "none"  # batch | layer | none
  config.model.features = 64  # dcgan only: channels of the widest-resolution layer.
  config.model.kernel_size = 5  # dcgan only
  config.model.conditional = False
  config.model.conditioning = "projection"  # conditional D: projection | concat
  config.model.pack = 2  # PacGAN: D sees this many samples at once.

  config.loss.name = "non_saturating"  # minimax | non_saturating | wasserstein | wgan_gp | hinge | least_squares
  config.loss.gp_weight = 10.0  # losses with a gradient penalty (wgan_gp): lambda.
  config.loss.weight_clip = 0.01  # losses with weight clipping (wasserstein): c.
  config.loss.r1_weight = 0.0  # gamma of R1 = gamma/2 E_data |grad D|^2 (Mescheder et al. 2018).
  config.loss.r2_weight = 0.0  # the same on generated samples.

  config.train.num_steps = 10000
  config.train.batch_size = 100
  config.train.n_critic = 1  # D updates per G update; the batch splits into n_critic parts.
  config.train.ema_decay = 0.999  # EMA of the generator, used by evaluation and sampling.

  config.optimizer.learning_rate = 1e-4  # the generator's
  config.optimizer.b1 = 0.8
  config.d_optimizer = config.optimizer.copy_and_resolve_references()  # the discriminator's

  config.eval.batch_size = 500
  config.eval.num_mode_samples = 2500  # evaluate: samples for modes / high quality / MMD.
  config.eval.num_image_samples = 10000  # evaluate: samples for image metrics.
  config.eval.fid_extractor = ""  # image metrics: digits | inception | "" (none).

  config.log_every = 500
  config.eval_every = 2500
  config.checkpoint_every = 2500
  if arg == "smoke":
    smoke(config)
  return config
