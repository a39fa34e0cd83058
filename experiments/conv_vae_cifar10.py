"""Convolutional VAE on CIFAR-10 (TFDS): a discretized-logistic decoder over the 256 levels.

Launch:   jaxgen train --config experiments/conv_vae_cifar10.py --workdir runs/conv_vae_cifar10
Evaluate: jaxgen eval --workdir runs/conv_vae_cifar10
Needs the data prepared offline: `tfds build cifar10 --data_dir=DIR`, TFDS_DATA_DIR=DIR.

Three stride-2 convolutions (32 -> 4) of 64, 128 and 256 channels, 128 latent units, a per-pixel
location and log-scale from the decoder (the discretized logistic of PixelCNN++ and IAF, one
component). bits_per_dim_iwae is in the dequantized 256-level convention, comparable to the
flows' numbers in REFERENCES.md (RealNVP 3.49, Glow 3.35). For scale: the best VAE of Kingma et al.
2016 (IAF), a deep ResNet VAE with inverse autoregressive flow posteriors, reaches 3.11 bits/dim
(Table 3); a one-layer factorised-Gaussian VAE like this one is expected well above that.
Expected result: not measured (no network here for the data).
"""

import vae_digits
from jaxgen.core.config import reproduce


def get_config(arg=None):
  config = vae_digits.get_config(arg)
  config.description = "Conv VAE on CIFAR-10, latent 128, discretized logistic (256 levels)"
  config.data.name = "cifar10"
  config.model.name = "conv"
  # ``:smoke`` keeps the layers but narrows them: on a CPU one step at full width takes seconds
  # (the transposed convolutions' backward pass dominates).
  config.model.features = (8, 16, 32) if arg == "smoke" else (64, 128, 256)
  config.model.latent_dim = 128
  # Inception FID where its weights are installed: --config.eval.fid_extractor=inception
  # --config.eval.fid_reference=cifar10 (jaxgen.eval.features.inception).
  config.eval.fid_extractor = ""
  if arg != "smoke":
    config.eval.importance_chunk = 50  # 50 x eval batch 256 images through the decoder at once
    config.train.num_steps = 200_000
    config.train.batch_size = 64
    config.optimizer.learning_rate = 5e-4
    config.optimizer.warmup_steps = 1000
    config.optimizer.grad_clip_norm = 100.0
    config.log_every = 500
    config.eval_every = 20_000
    config.checkpoint_every = 5_000
  reproduce(config, ('bits_per_dim_iwae <= 5.0',),
            source='jaxgen baseline (IAF, Kingma et al. 2016 Table 3: 3.11 with a deep ResNet VAE)',
            paper='3.11 (IAF)',
            protocol='IWAE, dequantized 256 levels',
            compute='GPU; not run here (needs TFDS CIFAR-10)')
  return config
