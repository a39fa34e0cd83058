"""The Fashion-MNIST classifier, the feature extractor for metrics on ``fashion_mnist`` (28x28,
256 grey levels): FMNIST-FID/KID, precision/recall and class coverage.

A ``classifier.ImageClassifier`` of three stages (28 -> 14 -> 7 -> 3) and 128 features. Trained by
``python scripts/train_classifier.py fashion_mnist``; ships as ``fashion_mnist_classifier.npz``.
"""

from jaxgen.eval.features.classifier import ClassifierExtractor, ImageClassifier

IMAGE_SHAPE = (28, 28, 1)


class FashionMNISTExtractor(ClassifierExtractor):
  """images: [N, 28, 28, 1] in [0, 1] -> features [N, 128], class probabilities [N, 10]."""
  name = "fashion_mnist"
  image_shape = IMAGE_SHAPE
  module = ImageClassifier(widths=(32, 64, 128), feature_dim=128)
  weights_file = "fashion_mnist_classifier.npz"
  feature_layer = ("penultimate Dense(128) + RMSNorm, pre-ReLU, of a CNN trained on "
                   "fashion_mnist/train")
