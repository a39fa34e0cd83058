"""Feature extractors for metrics, by name: ``get_extractor("digits" | "inception" | ...)``.

``inception`` is the FID Inception (the 2015 TensorFlow graph of published FIDs and Inception
Scores, ``$JAXGEN_FID_WEIGHTS``, with a ``resize`` mode); ``inception_keras`` is Keras's ImageNet
Inception-v3, not comparable with papers; ``digits`` and ``fashion_mnist`` classifiers of those
datasets' images (``classifier.py``).

Every extractor has the same interface:

  name: str; feature_dim: int; num_classes: int | None
  weights_hash: str                                 # first 16 hex of the weights file's SHA-256
  features(images [N, H, W, C] in [0, 1]) -> float32 [N, feature_dim]   # batched, jitted
  class_probabilities(images) -> float32 [N, num_classes]                # softmax
  describe() -> dict                                # {"extractor": name, "weights_hash": ...}

Inputs are images in [0, 1]; a family whose data is in [-1, 1] maps it with (x + 1) / 2 first.
A name of the form ``package.module:factory`` is imported and called with the same arguments.
"""

from jaxgen.registry import Registry
from jaxgen.eval.features.digits import DigitsExtractor
from jaxgen.eval.features.fashion_mnist import FashionMNISTExtractor

EXTRACTORS = Registry("feature extractor")
EXTRACTORS.register("digits")(DigitsExtractor)
EXTRACTORS.register("fashion_mnist")(FashionMNISTExtractor)


@EXTRACTORS.register("inception")
def _fid_inception(weights_path: str | None = None, **kwargs):
  # Imported on use: building Inception-v3 is only needed by those who ask for it.
  from jaxgen.eval.features import fid_inception
  return fid_inception.FIDInceptionExtractor(
      weights_path=weights_path or fid_inception.default_weights_path(), **kwargs)


@EXTRACTORS.register("inception_keras")
def _keras_inception(weights_path: str | None = None, **kwargs):
  from jaxgen.eval.features import inception
  return inception.KerasInceptionExtractor(
      weights_path=weights_path or inception.default_weights_path(), **kwargs)


_INCEPTIONS = ("inception", "inception_keras")  # weights from a file the user converts


def check_available(name: str, weights_path: str | None = None) -> None:
  """Raises CheckpointError now, not after an evaluation pass, when ``name``'s weights file
  (``weights_path``, else where its environment variable says) is missing (the digits classifier
  ships with jaxgen)."""
  import os

  from jaxgen.errors import CheckpointError
  if name not in _INCEPTIONS:
    return
  from jaxgen.eval.features import fid_inception, inception
  module = fid_inception if name == "inception" else inception
  path = weights_path or module.default_weights_path()
  if not os.path.isfile(path):
    named = "" if weights_path else f"${module.WEIGHTS_ENV}="
    raise CheckpointError(f"{named}{path!r} does not exist: expected the {name} weights .npz "
                          f"(make it with `{module.CONVERT_COMMAND}`)")


def configured_extractor(name: str, weights_path: str | None = None, resize: str | None = None):
  """``get_extractor(name)`` with the options a user sets (None or "": the default): the weights
  .npz of an Inception, the FID Inception's resize mode. Raises ConfigError for an option the
  extractor does not take."""
  from jaxgen.errors import ConfigError
  if weights_path and name not in _INCEPTIONS:
    raise ConfigError(f"weights {weights_path!r}: expected only with features 'inception' or "
                      f"'inception_keras', got features {name!r}")
  if resize and name != "inception":
    raise ConfigError(f"resize: expected only with features 'inception', got {name!r}")
  options = {"weights_path": weights_path, "resize": resize}
  return get_extractor(name, **{k: v for k, v in options.items() if v})


def get_extractor(name: str, **kwargs):
  """The extractor registered as ``name``, built with ``kwargs`` (e.g. ``weights_path``).

  Raises UnknownNameError listing the valid names.
  """
  return EXTRACTORS.get(name)(**kwargs)


__all__ = ["EXTRACTORS", "DigitsExtractor", "FashionMNISTExtractor", "check_available", "configured_extractor",
           "get_extractor"]
