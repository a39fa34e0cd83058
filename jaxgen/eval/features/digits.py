"""A small CNN classifier of 8x8 digits, the feature extractor for metrics on ``digits``.

Its penultimate layer gives the features for FID, KID and precision/recall, as Inception's pool3
does on natural images; its softmax gives the Inception Score, class coverage and label accuracy.
The features are a Dense layer's 64 outputs divided by their root mean square (RMSNorm without a
learned scale), taken before the ReLU that feeds the classifier head:
- before the ReLU, so nothing is clipped and every direction of the covariance carries
  information (a variant without the normalisation had a third of its units 0 on every digit
  after the ReLU);
- normalised, because KID's kernel ``(x.y / D + 1)^3`` assumes features of order 1 (as pool3's
  are): raw, these reach hundreds, and KID's spread over subsets swamped its mean. With
  ``|x|^2 / D = 1`` the kernel lies in [0, 8].
64 features rather than more: the test split holds 300 images, and the FID of N samples in D
dimensions is biased unless N >> D.

The weights ship as ``digits_classifier.npz`` beside this file, trained by
``scripts/train_digits_classifier.py`` on the train split only. They are stored as plain arrays
(no pickle) by ``jaxgen.eval.features.weights``, so the file, hence ``weights_hash``, depends on
the weights alone.
"""

import os
from typing import Sequence

import flax.linen as nn
import jax
import jax.numpy as jnp
import numpy as np

from jaxgen.eval.checks import checked_images
from jaxgen.eval.features.weights import file_hash, load_weights

IMAGE_SHAPE = (8, 8, 1)
DEFAULT_WEIGHTS_PATH = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                    "digits_classifier.npz")


class DigitsClassifier(nn.Module):
  """images: [B, 8, 8, 1] in [0, 1] -> (features [B, feature_dim], logits [B, num_classes]).

  Per entry of ``widths``: two 3x3 convolutions and a 2x2 max-pool (8x8 -> 4x4 -> 2x2); then
  Dense + RMSNorm giving the features, a ReLU, and the Dense classifier head.
  """
  widths: Sequence[int] = (32, 64)
  feature_dim: int = 64
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


@jax.jit
def _features_and_probabilities(variables, images):
  features, logits = DigitsClassifier().apply(variables, images)
  return features, jax.nn.softmax(logits)


class DigitsExtractor:
  """Features and class probabilities of 8x8x1 digit images in [0, 1] (see the module docstring).

  Images go through one jitted function in batches of ``batch_size``, the last padded, so any N
  compiles once.
  """
  name = "digits"
  num_classes = 10

  def __init__(self, weights_path: str | None = None, batch_size: int = 256):
    self.weights_path = weights_path or DEFAULT_WEIGHTS_PATH
    module = DigitsClassifier()
    self._variables = load_weights(self.weights_path, module,
                                   jax.ShapeDtypeStruct((1, *IMAGE_SHAPE), jnp.float32))
    self.weights_hash = file_hash(self.weights_path)
    self.feature_dim = module.feature_dim
    self.batch_size = batch_size

  def features(self, images: np.ndarray) -> np.ndarray:
    """images: [N, 8, 8, 1] in [0, 1] -> float32 [N, 64] features, each of root mean square 1."""
    return self._run(images)[0]

  def class_probabilities(self, images: np.ndarray) -> np.ndarray:
    """images: [N, 8, 8, 1] in [0, 1] -> float32 [N, 10] softmax probabilities."""
    return self._run(images)[1]

  def describe(self) -> dict:
    return {"extractor": self.name, "weights_hash": self.weights_hash,
            "feature_dim": self.feature_dim,
            "feature_layer": "penultimate Dense(64) + RMSNorm, pre-ReLU, of a CNN trained on "
                             "digits/train"}

  def _run(self, images) -> tuple[np.ndarray, np.ndarray]:
    images = checked_images(images, IMAGE_SHAPE, self.name)
    features, probabilities = [], []
    for start in range(0, images.shape[0], self.batch_size):
      batch = images[start:start + self.batch_size]
      padding = np.zeros((self.batch_size - len(batch), *IMAGE_SHAPE), np.float32)
      batch_features, batch_probabilities = _features_and_probabilities(
          self._variables, np.concatenate([batch, padding]))
      features.append(np.asarray(batch_features)[:len(batch)])
      probabilities.append(np.asarray(batch_probabilities)[:len(batch)])
    return np.concatenate(features), np.concatenate(probabilities)
