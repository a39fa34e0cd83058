"""The GAN family's shared config: PacGAN's setup on grid25 (Lin et al. 2018: MLP generator, maxout
discriminator, batch 100) with jaxgen's choices (Adam 1e-3 with beta1 0.5 and cosine decay, R1 0.1,
no batch norm in G, EMA of G, no packing). Every GAN experiment starts from it."""

from jaxgen.core.config import base_config, smoke


def get_config(arg=None):
  config = base_config()
  config.family = "gan"

  config.data.name = "grid25"

  config.model.generator = "mlp"  # mlp | dcgan
  config.model.discriminator = "mlp"  # mlp | dcgan
  config.model.latent_dim = 2
  config.model.g_hidden = (400, 400, 400, 400)
  # batch | layer | none. PacGAN: batch, which costs most of the high-quality fraction on grid25
  # (0.662 with it, 0.928 without, seed 0, 20,000 steps).
  config.model.g_norm = "none"
  config.model.d_hidden = (200, 200, 200)
  config.model.d_activation = "maxout"  # maxout | leaky_relu | relu
  config.model.maxout_pieces = 5
  config.model.d_norm = "none"  # batch | layer | none
  config.model.features = 64  # dcgan only: channels of the widest-resolution layer.
  config.model.kernel_size = 5  # dcgan only
  # dcgan only: auto (im2col on the CPU, lax's convolution elsewhere) | im2col | xla; see
  # jaxgen/families/gan/conv.py.
  config.model.conv = "auto"
  config.model.conditional = False
  config.model.conditioning = "projection"  # conditional D: projection | concat
  # PacGAN: D sees this many samples at once (2 is PacGAN2). On grid25 with these networks a
  # packed maxout D stayed at chance (loss ln 4) for 10,000 steps at every learning rate tried.
  config.model.pack = 1

  # minimax | non_saturating | wasserstein | wgan_gp | hinge | least_squares
  config.loss.name = "non_saturating"
  config.loss.gp_weight = 10.0  # losses with a gradient penalty (wgan_gp): lambda.
  config.loss.weight_clip = 0.01  # losses with weight clipping (wasserstein): c.
  config.loss.r1_weight = 0.1  # gamma of R1 = gamma/2 E_data |grad D|^2 (Mescheder et al. 2018).
  config.loss.r2_weight = 0.0  # the same on generated samples.

  config.train.num_steps = 40000
  config.train.batch_size = 100
  config.train.n_critic = 1  # D updates per G update; the batch splits into n_critic parts.
  config.train.ema_decay = 0.999  # EMA of the generator, used by evaluation and sampling.

  config.optimizer.learning_rate = 1e-3  # the generator's (PacGAN: 1e-4)
  config.optimizer.b1 = 0.5  # (PacGAN: 0.8)
  config.optimizer.schedule = "cosine"
  config.d_optimizer = config.optimizer.copy_and_resolve_references()  # the discriminator's

  config.eval.batch_size = 500
  config.eval.num_mode_samples = 2500  # evaluate: samples for modes / high quality / MMD.
  config.eval.num_image_samples = 10000  # evaluate: samples for image metrics.
  config.eval.fid_extractor = ""  # image metrics: digits | inception | "" (none).

  config.log_every = 500
  config.eval_every = 5000
  config.checkpoint_every = 5000
  if arg == "smoke":
    smoke(config)
  return config
