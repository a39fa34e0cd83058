"""The autoencoder family's shared config: an undercomplete MLP autoencoder (64 -> 16 -> 64) on
scikit-learn digits, 9s held out as anomalies. Every autoencoder experiment starts from it."""

from jaxgen.core.config import base_config, smoke


def get_config(arg=None):
  config = base_config()
  config.family = "autoencoder"

  config.data.name = "digits"
  config.data.scale = "0_1"
  # Train on 0-8: the test set's 9s are the anomalies (anomaly_auroc, jaxgen.core.evaluation).
  config.data.exclude_labels = (9,)

  config.model.name = "mlp"  # mlp | conv
  config.model.hidden = (256, 128)
  config.model.features = (32, 64)  # conv only: channels of the stride-2 layers.
  config.model.latent_dim = 16
  config.model.code_activation = "linear"

  config.loss.name = "mse"  # mse | bce | package.module:function
  config.loss.noise = ""  # "" | gaussian | masking  (denoising autoencoder)
  config.loss.noise_level = 0.0
  config.loss.l1_weight = 0.0  # sparse autoencoder, L1 on codes
  config.loss.kl_weight = 0.0  # sparse autoencoder, KL to a target firing rate
  config.loss.kl_target_rate = 0.05
  config.loss.contractive_weight = 0.0  # contractive autoencoder

  config.train.num_steps = 3000
  config.train.batch_size = 128
  config.optimizer.learning_rate = 1e-3
  config.optimizer.schedule = "cosine"
  config.optimizer.warmup_steps = 100

  config.log_every = 100
  config.eval_every = 1000
  config.checkpoint_every = 1000
  if arg == "smoke":
    smoke(config)
  return config
