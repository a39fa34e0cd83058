"""CycleGAN (Zhu et al. 2017) between two Fashion-MNIST classes: sneakers (7) <-> ankle boots
(9), unpaired: each batch's first half sneakers, its second half boots, disjoint images.
U-Nets padded to 32x32 (C32-...-C256), 16x16 PatchGANs, LSGAN + 10 cycle L1 + 5 identity L1,
pools of 50, Adam 2e-4 (beta1 0.5), batch 32 + 32, 1,500 steps (8.7 epochs per class): 0.44
steps/s over 100 steps (nice -n 10; 2 CPU cores shared with two trainings, load ~10), ~1 hour.

Launch:   jaxgen train --config experiments/cyclegan_sneaker_boot.py --workdir runs/sneaker_boot
Evaluate: jaxgen eval --workdir runs/sneaker_boot  (on the test sneakers and boots:
          target_accuracy_ab/_ba, fid_ab/_ba, kid_ab/_ba, cycle_psnr_a/_b)
Floors (issue #34): target-class accuracy >= 0.90 both ways (the classifier's on the real
          test sneakers: 0.972, boots: 0.968), cycle PSNR >= 20 dB.
Result:   not yet measured.
"""

import _cyclegan_base


def get_config(arg=None):
  config = _cyclegan_base.get_config(arg)
  config.description = "CycleGAN between Fashion-MNIST classes: sneakers <-> ankle boots"
  config.data.name = "fashion_mnist"
  config.data.paired_source = ""
  config.data.domain_classes = (7, 9)  # domain A: sneakers, domain B: ankle boots
  config.eval.fid_extractor = "fashion_mnist"  # target-class accuracy, FID to the target class
  if arg == "smoke":
    config.eval.num_examples = 512  # ~256 per class: more than the classifier's 128 features
  else:
    config.train.num_steps = 1500
    config.eval_every = 500
    config.checkpoint_every = 500
    config.eval.num_samples = 30  # grid: 3 blocks of 10 columns, 6 rows each
  return config
