"""The digits classifier, the feature extractor for metrics on ``digits`` (8x8, 17 grey levels).

A ``classifier.ImageClassifier`` of two stages (8x8 -> 4x4 -> 2x2) and 64 features: the test split
holds 300 images, and the FID of N samples in D dimensions is biased unless N >> D. Trained by
``python scripts/train_classifier.py digits``; ships as ``digits_classifier.npz``.
"""

from jaxgen.eval.features.classifier import ClassifierExtractor, ImageClassifier

IMAGE_SHAPE = (8, 8, 1)


class DigitsExtractor(ClassifierExtractor):
  """images: [N, 8, 8, 1] in [0, 1] -> features [N, 64], class probabilities [N, 10]."""
  name = "digits"
  image_shape = IMAGE_SHAPE
  module = ImageClassifier(widths=(32, 64), feature_dim=64)
  weights_file = "digits_classifier.npz"
  feature_layer = "penultimate Dense(64) + RMSNorm, pre-ReLU, of a CNN trained on digits/train"


DEFAULT_WEIGHTS_PATH = DigitsExtractor.default_weights_path()
