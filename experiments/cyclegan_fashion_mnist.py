"""CycleGAN (Zhu et al. 2017) on Fashion-MNIST: edge maps <-> images, unpaired (each batch's
halves are the two domains), scored on the test pairs as pix2pix_fashion_mnist.py is.

U-Nets padded to 32x32 (C32-...-C256), 16x16 PatchGANs, LSGAN + 10 cycle L1 + 5 identity L1,
pools of 50, Adam 2e-4 (beta1 0.5), batch 32 + 32, 1,200 steps (0.7 epoch per domain): 0.3-0.4
steps/s over 200 steps on 2 CPU cores shared with other runs (load ~10); 18 min nearly alone.

Launch:   jaxgen train --config experiments/cyclegan_fashion_mnist.py --workdir runs/cyclegan
Evaluate: jaxgen eval --workdir runs/cyclegan  (test PSNR, SSIM, FMNIST-FID of G(edges), cycles)
Compare:  jaxgen compare runs/pix2pix runs/cyclegan  (paired against unpaired)
Result:   seed 0, 18 min: PSNR 9.33 dB, FMNIST-FID 32.0, label accuracy 0.570 (pix2pix 19.37 /
          3.19 / 0.842).
"""

import _cyclegan_base


def get_config(arg=None):
  config = _cyclegan_base.get_config(arg)
  config.description = "CycleGAN on Fashion-MNIST: edge maps <-> images, unpaired"
  config.data.name = "fashion_mnist"
  config.eval.fid_extractor = "fashion_mnist"
  if arg != "smoke":
    config.train.num_steps = 1200
    config.eval_every = 400
    config.checkpoint_every = 400
  return config
