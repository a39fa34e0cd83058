"""pix2pix (Isola et al. 2017) on Fashion-MNIST: edge maps -> images (data.paired_source=edges).

U-Net G padded to 32x32 (C32-C64-C128-C256-C256, dropout in 3 decoder blocks), 16x16 PatchGAN D,
non-saturating cGAN loss + 100 L1, Adam 2e-4 (beta1 0.5), batch 64, 3,000 steps (3.5 epochs):
0.9 steps/s measured on 2 CPU cores shared with other runs (load ~10), about 1 hour.

Launch:   jaxgen train --config experiments/pix2pix_fashion_mnist.py --workdir runs/pix2pix
Evaluate: jaxgen eval --workdir runs/pix2pix  (test PSNR, SSIM, FMNIST-FID of translations)
Compare:  the L1 baseline (experiments/pix2pix_l1_fashion_mnist.py) in runs/pix2pix_l1, then
          jaxgen compare runs/pix2pix runs/pix2pix_l1
Measured (seed 0, 57 min): test PSNR 19.37 dB, SSIM 0.694, FMNIST-FID 3.19 (L1 alone: 19.29,
0.692, 3.56).
"""

from jaxgen.core.config import base_config, smoke


def get_config(arg=None):
  config = base_config()
  config.family = "pix2pix"
  config.description = "pix2pix on Fashion-MNIST: edge maps -> images"
  config.data.name = "fashion_mnist"
  config.data.scale = "-1_1"  # the paper's tanh output
  config.data.paired_source = "edges"

  # G's first level (the paper's 64, halved for 2 CPU cores); its levels have 1, 2, 4, 8, 8 times
  # as many channels.
  config.model.features = 32
  config.model.dropout_rate = 0.5
  config.model.dropout_blocks = 3  # the innermost decoder blocks with dropout (the paper's 3)
  config.model.d_features = 32
  config.model.d_num_downsamples = 1  # the 16x16 PatchGAN (2: 34x34, 3: the paper's 70x70)
  config.model.conv = "auto"  # jaxgen.nn.conv: im2col on the CPU, lax's convolution elsewhere

  config.loss.name = "non_saturating"  # the paper's cGAN log loss | least_squares
  config.loss.adversarial_weight = 1.0  # 0: the L1 baseline, no discriminator
  config.loss.l1_weight = 100.0  # lambda, the paper's

  config.optimizer.learning_rate = 2e-4
  config.optimizer.b1 = 0.5
  config.d_optimizer = config.optimizer.copy_and_resolve_references()

  config.eval.fid_extractor = "fashion_mnist"
  config.eval.batch_size = 500
  if arg == "smoke":
    smoke(config)
    config.model.features = 8
    config.model.d_features = 8
    config.eval.batch_size = 64
    config.eval.num_examples = 256  # more translations than FID's 128 feature dimensions
  else:
    config.train.num_steps = 3000
    config.train.batch_size = 64
    config.log_every = 100
    config.eval_every = 1000
    config.checkpoint_every = 1000
  return config
