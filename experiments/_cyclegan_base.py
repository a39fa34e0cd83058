"""CycleGAN's shared config (Zhu et al. 2017, "Unpaired Image-to-Image Translation using
Cycle-Consistent Adversarial Networks"): edge maps (domain A) <-> images (domain B), unpaired --
each batch's halves are the two domains' examples -- with the pairs kept for evaluation only.
pix2pix's U-Net generators (no dropout) and 16x16 PatchGANs, least-squares GAN, cycle L1
lambda = 10, identity 0.5 lambda, a pool of 50 past translations per discriminator, Adam 2e-4
(beta1 0.5). Every CycleGAN experiment starts from it; those between two classes' images set
data.domain_classes in place of the edge maps (cyclegan_sneaker_boot.py)."""

from jaxgen.core.config import base_config, smoke


def get_config(arg=None):
  config = base_config()
  config.family = "cyclegan"
  config.data.scale = "-1_1"  # both domains in [-1, 1], the paper's tanh outputs
  config.data.paired_source = "edges"  # domain A; the pairs serve evaluation only

  config.model.generator = "unet"  # pix2pix's (no dropout) | resnet: the paper's
  config.model.num_blocks = 6  # resnet only: residual blocks (the paper's at 128x128)
  # The generators' first level (the paper's 64, halved for 2 CPU cores), as pix2pix's.
  config.model.features = 32
  config.model.d_features = 32
  config.model.d_num_downsamples = 1  # the 16x16 PatchGAN (3: the paper's 70x70)
  config.model.conv = "auto"  # jaxgen.nn.conv: im2col on the CPU, lax's convolution elsewhere

  config.loss.name = "least_squares"  # the paper's GAN loss, the only one the family has
  config.loss.cycle_weight = 10.0  # lambda, the paper's
  config.loss.identity_weight = 0.5  # times lambda, the paper's (Sec. 5.2); 0 disables
  config.loss.pool_size = 50  # past translations per discriminator, the paper's; 0 disables

  config.optimizer.learning_rate = 2e-4
  config.optimizer.b1 = 0.5
  config.d_optimizer = config.optimizer.copy_and_resolve_references()

  config.eval.batch_size = 500
  if arg == "smoke":
    smoke(config)
    config.model.features = 8
    config.model.d_features = 8
    config.model.conv = "xla"  # compiles four networks in half im2col's time; 12 steps run either
    config.eval.batch_size = 64
    config.eval.num_examples = 256  # more translations than FID's feature dimensions
  else:
    config.train.batch_size = 64  # 32 edge maps and 32 other examples' images per step
    config.log_every = 100
  return config
