"""Feature extractors for metrics, by name: ``get_extractor("digits" | "inception")``.

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

EXTRACTORS = Registry("feature extractor")
EXTRACTORS.register("digits")(DigitsExtractor)


@EXTRACTORS.register("inception")
def _inception(weights_path: str | None = None, **kwargs):
  # Imported on use: building Inception-v3 is only needed by those who ask for it.
  from jaxgen.eval.features import inception
  return inception.InceptionExtractor(
      weights_path=weights_path or inception.default_weights_path(), **kwargs)


def get_extractor(name: str, **kwargs):
  """The extractor registered as ``name``, built with ``kwargs`` (e.g. ``weights_path``).

  Raises UnknownNameError listing the valid names.
  """
  return EXTRACTORS.get(name)(**kwargs)


__all__ = ["EXTRACTORS", "DigitsExtractor", "get_extractor"]
