"""A small CNN classifier of one dataset's images as a feature extractor (digits, Fashion-MNIST).

Its penultimate layer gives the features for FID, KID and precision/recall, as Inception's pool3
does on natural images; its softmax gives the Inception Score, class coverage and label accuracy.
The features are a Dense layer's outputs divided by their root mean square (RMSNorm without a
learned scale), taken before the ReLU that feeds the classifier head:
- before the ReLU, so nothing is clipped and every direction of the covariance carries
  information (a variant without the normalisation had a third of its units 0 on every digit
  after the ReLU);
- normalised, because KID's kernel ``(x.y / D + 1)^3`` assumes features of order 1 (as pool3's
  are): raw, these reach hundreds, and KID's spread over subsets swamped its mean. With
  ``|x|^2 / D = 1`` the kernel lies in [0, 8].

Weights are trained by ``scripts/train_classifier.py`` on the train split only and ship beside
this file as plain arrays (no pickle, ``jaxgen.eval.features.weights``), so the file, hence
``weights_hash``, depends on the weights alone.
"""

import functools
import os
from typing import Sequence

import flax.linen as nn
import jax
import jax.numpy as jnp
import numpy as np

from jaxgen.eval.checks import checked_images
from jaxgen.eval.features.weights import BatchedExtractor, file_hash, load_weights

WEIGHTS_DIR = os.path.dirname(os.path.abspath(__file__))


class ImageClassifier(nn.Module):
  """images: [B, H, W, C] in [0, 1] -> (features [B, feature_dim], logits [B, num_classes]).

  Per entry of ``widths``: two 3x3 convolutions and a 2x2 max-pool (halving H and W, rounding
  down); then Dense + RMSNorm giving the features, a ReLU, and the Dense classifier head.
  """
  widths: Sequence[int]
  feature_dim: int
  num_classes: int = 10

  @nn.compact
  def __call__(self, images: jax.Array) -> tuple[jax.Array, jax.Array]:
    h = images
    for width in self.widths:
      h = nn.relu(nn.Conv(width, (3, 3))(h))
      h = nn.relu(nn.Conv(width, (3, 3))(h))
      h = nn.max_pool(h, (2, 2), strides=(2, 2))
    features = nn.RMSNorm(use_scale=False)(nn.Dense(self.feature_dim)(h.reshape(h.shape[0], -1)))
    return features, nn.Dense(self.num_classes)(nn.relu(features))


def _forward(variables, images: jax.Array, module: ImageClassifier) -> dict:
  features, logits = module.apply(variables, images)
  return {"features": features, "probabilities": jax.nn.softmax(logits)}


class ClassifierExtractor(BatchedExtractor):
  """Features and class probabilities of one dataset's images in [0, 1] (the module docstring).
  A subclass sets ``name``, ``image_shape``, ``module``, ``weights_file`` (beside this file) and
  ``feature_layer`` (said in ``describe()``)."""
  image_shape: tuple[int, int, int]
  module: ImageClassifier
  weights_file: str
  feature_layer: str

  def __init__(self, weights_path: str | None = None, batch_size: int = 256):
    self.weights_path = weights_path or self.default_weights_path()
    self._variables = load_weights(self.weights_path, self.module,
                                   jax.ShapeDtypeStruct((1, *self.image_shape), jnp.float32))
    self.weights_hash = file_hash(self.weights_path)
    self.feature_dim = self.module.feature_dim
    self.num_classes = self.module.num_classes
    self.batch_size = batch_size
    self._forward = jax.jit(functools.partial(_forward, module=self.module))

  @classmethod
  def default_weights_path(cls) -> str:
    return os.path.join(WEIGHTS_DIR, cls.weights_file)

  def describe(self) -> dict:
    return {"extractor": self.name, "weights_hash": self.weights_hash,
            "feature_dim": self.feature_dim, "feature_layer": self.feature_layer}

  def _prepare(self, images: np.ndarray) -> np.ndarray:
    return checked_images(images, self.image_shape, self.name)
