"""Convolutional VAE on CIFAR-10 (TFDS) with a discretized-logistic decoder (256 levels).

Three stride-2 convolutions (64, 128, 256 channels), 128 latent units, one logistic per pixel.

Launch:   jaxgen train --config experiments/conv_vae_cifar10.py --workdir runs/conv_vae_cifar10
Evaluate: jaxgen eval --workdir runs/conv_vae_cifar10
Data:     cifar10, prepared offline (README, "Real data").
Expected: not measured (needs the data); target bits_per_dim_iwae <= 5.0 (dequantized 256
levels). Papers: IAF's deep ResNet VAE 3.11 (Kingma et al. 2016, Table 3); RealNVP 3.49 (Dinh et
al. 2017, Table 1), Glow 3.35 (Kingma & Dhariwal 2018, Table 2).
"""

import _vae_base
from jaxgen.core.config import reproduce


def get_config(arg=None):
  config = _vae_base.get_config(arg)
  config.description = "Conv VAE on CIFAR-10, latent 128, discretized logistic (256 levels)"
  config.data.name = "cifar10"
  config.model.name = "conv"
  config.model.decoder = "discretized_logistic"
  config.model.scale = "network"  # a location and a log-scale per pixel, both functions of z
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
