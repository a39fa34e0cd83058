"""The energy-based family's shared config for images: a convolutional energy (3x3 convolutions
32, 64, Dense 128, Swish) on 8x8 digits in [-1, 1], dequantized; contrastive divergence with
short-run SGLD (20 steps, step 1, noise 0.01) from a replay buffer of 10,000 (5% restarted from
uniform noise). Every image EBM and JEM experiment starts from it."""

import ml_collections

from jaxgen.core.config import base_config, smoke


def get_config(arg=None):
  config = base_config()
  config.family = "ebm"
  config.data.name = "digits"
  config.data.scale = "-1_1"
  config.data.dequantize = True  # an energy on discrete levels would put its mass on spikes
  config.model.energy = "scalar"  # scalar: the network's one output | jem: -logsumexp of K logits
  config.model.widths = (32, 64)  # per width a 3x3 convolution and a 3x3 stride-2 one
  config.model.hidden = (128,)
  config.loss.name = "contrastive_divergence"
  config.loss.alpha = 0.1  # weight of the energy-magnitude regulariser
  config.langevin = ml_collections.ConfigDict(dict(
      # x <- x - (step_size / 2) grad E + noise_std xi: JEM's chains (Grathwohl et al. 2020), a
      # gradient step of 1 and noise 0.01, far colder than exp(-E) (that would take noise 1.4):
      # short-run chains that optimise with a little noise, as image EBMs train them.
      num_steps=20, step_size=2.0, noise_std=0.01, reinit=0.05, buffer_size=10_000))
  config.sample = ml_collections.ConfigDict(dict(start="buffer", num_steps=20))
  config.train.num_steps = 5000
  config.train.batch_size = 64
  config.optimizer.learning_rate = 1e-4
  config.optimizer.b1 = 0.0  # Du & Mordatch: no momentum on the energy's noisy gradients
  config.eval.fid_extractor = "digits"
  config.eval.num_image_samples = 1000
  config.eval.batch_size = 250
  config.eval_every = config.checkpoint_every = 1000
  config.log_every = 100
  if arg == "smoke":
    smoke(config)
    config.langevin.num_steps = config.sample.num_steps = 5
    config.langevin.buffer_size = 256
    config.eval.num_image_samples = 128
  return config
