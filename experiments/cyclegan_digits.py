"""CycleGAN (Zhu et al. 2017) on 8x8 digits: edge maps <-> digits, unpaired (each batch's halves
are the two domains), scored on the test pairs. Digits' edge maps mark 72% of pixels.
U-Nets of 3 levels (C32-C64-C128), 7x7-patch GANs, LSGAN + 10 cycle L1 + 5 identity L1, pools of
50, Adam 2e-4 (beta1 0.5), batch 32 + 32, 2,000 steps: 11 steps/s on 2 shared CPU cores, 4 min.

Launch:   jaxgen train --config experiments/cyclegan_digits.py --workdir runs/cyclegan_digits
Evaluate: jaxgen eval --workdir runs/cyclegan_digits  (test PSNR, digits-FID, cycles; no SSIM)
Measured (seed 0; seed 1): G(edges) are digits (FID 19.8; 29.1) but not the source's: label
accuracy 0.09; 0.12, PSNR 7.5 dB, L1 0.58 (a random test image: 9.0 dB, 0.48), while the cycles
close (|F(G(a)) - a| 0.068; 0.059, |G(F(b)) - b| 0.115; 0.109): F recovers a from another digit.
The paper's ResNet G (--config.model.generator=resnet, 1.1 steps/s, 32 min): 9.0 dB, accuracy 0.07.
"""

import _cyclegan_base


def get_config(arg=None):
  config = _cyclegan_base.get_config(arg)
  config.description = "CycleGAN on 8x8 digits: edge maps <-> digits, unpaired"
  config.data.name = "digits"
  config.model.d_num_downsamples = 0  # 7x7 patches of 8x8 digits (one stride: 16x16, all of it)
  config.eval.fid_extractor = "digits"
  if arg != "smoke":
    config.train.num_steps = 2000
    config.eval_every = 500
    config.checkpoint_every = 500
  return config
