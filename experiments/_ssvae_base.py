"""The ssvae family's shared config: M1+M2 (Kingma et al. 2014) with k labelled images per class
and the rest of the training split kept unlabelled. M1 is an MLP VAE with a discretized-logistic
p(x|z1) over the grey levels (the vae family's vae_digits decoder); M2 is the semi-supervised VAE
of M1's code. Stage 1 trains M1 for model.m1_steps, stage 2 M2 for the rest of the run."""

from jaxgen.core.config import base_config, smoke


def get_config(arg=None):
  config = base_config()
  config.family = "ssvae"

  config.data.scale = "0_1"
  config.data.labels_per_class = 10
  config.data.unlabelled = "keep"  # label -1: the unlabelled rows of eq. 7

  config.model.m1_hidden = (256, 128)  # M1's encoder widths; its decoder mirrors them
  config.model.z1_dim = 50
  config.model.min_log_scale = -7.0  # floor of p(x|z1)'s log-scale
  config.model.m2_hidden = (256,)  # every M2 network: q(y|z1), q(z2|z1,y), p(z1|y,z2)
  config.model.z2_dim = 16
  config.model.m1_steps = 3000  # stage 1; M2 trains for the remaining steps

  config.loss.name = "m1_m2"
  # The paper's alpha = 0.1 N (N training examples): each labelled example's cross-entropy
  # weighs loss.alpha * N / N_l in the per-example mean (the paper's code calls it beta).
  config.loss.alpha = 0.1

  config.train.num_steps = 6000
  config.train.batch_size = 128
  config.optimizer.learning_rate = 1e-3
  config.optimizer.schedule = "cosine"  # within each stage
  config.optimizer.warmup_steps = 100

  config.log_every = 100
  config.eval_every = 500
  config.checkpoint_every = 1000
  if arg == "smoke":
    smoke(config)
    config.model.m1_steps = 6  # both stages run
  return config
