"""The PixelCNN family's shared config: the plain PixelCNN (van den Oord et al. 2016, "Pixel
Recurrent Neural Networks": a 7x7 mask-A convolution, residual blocks of 3x3 mask-B convolutions,
h=32, 4 blocks) on binarized 8x8 digits, 2,000 steps. Every PixelCNN experiment starts from it."""

import ml_collections

from jaxgen.core.config import base_config, smoke


def get_config(arg=None):
  config = base_config()
  config.family = "pixelcnn"

  config.data.name = "binarized_digits"
  config.data.scale = "0_1"

  # pixelcnn | gated_pixelcnn | pixelcnn_pp | package.module:function
  config.model.name = "pixelcnn"
  # pixelcnn: h (blocks carry 2h); gated_pixelcnn: p per stack; pixelcnn_pp: filters
  config.model.features = 32
  # residual blocks, gated layers, or pixelcnn_pp's ResNet layers per scale
  config.model.num_layers = 4
  config.model.input_kernel = 7  # pixelcnn only: the first (mask A) convolution
  config.model.kernel_size = 3  # pixelcnn, gated_pixelcnn
  config.model.num_scales = 3  # pixelcnn_pp only: resolutions of its U-Net
  config.model.output_features = 64  # the hidden 1x1 output layer
  # bernoulli | softmax | logistic_mixture | package.module:function
  config.model.head = "bernoulli"
  config.model.num_mixtures = 10  # logistic_mixture only
  config.model.conditional = False  # class-conditional (labels of the dataset)
  # conditional only: evaluate 1/K sum_y P(x | y), no test labels
  config.model.label_mixture = False
  config.model.dropout = 0.2  # in every block / gated layer, training only (PixelCNN++: 0.5)
  # none | flips | dihedral (augment.py): evaluated as the uniform mixture over the transforms
  config.model.dist_aug = "none"

  config.loss.name = "nll"  # nll (nats) | bits_per_dim | package.module:function

  config.train.num_steps = 2000
  config.train.batch_size = 64
  config.optimizer.learning_rate = 1e-3
  config.optimizer.schedule = "cosine"
  config.optimizer.warmup_steps = 100

  config.eval.batch_size = 300  # the whole test split in one batch
  config.eval.fid_extractor = "digits"  # sample metrics in these features; "": off
  config.eval.num_image_samples = 1000

  config.sample = ml_collections.ConfigDict()
  config.sample.method = "fast"  # plain | fast (same samples for the same key)
  config.sample.temperature = 1.0

  config.log_every = 100
  config.eval_every = 1000
  config.checkpoint_every = 1000
  if arg == "smoke":
    smoke(config)
    config.eval.num_image_samples = 64
  return config
