"""Name -> object registries (losses, datasets, families): a leaf module that data, eval, core and
the families all import.

A config names what it wants (``loss.name = "mse"``); the registry turns the name into the
function. A name of the form ``package.module:attribute`` is imported instead, so a user's own
loss works without touching jaxgen.
"""

import importlib
from typing import Any, Callable, Dict, Iterable, TypeVar

from jaxgen.errors import UnknownNameError

T = TypeVar("T")


def import_dotted(path: str) -> Any:
  """Imports ``package.module:attribute`` (or ``package.module.attribute``)."""
  module_name, sep, attribute = path.partition(":")
  if not sep:
    module_name, _, attribute = path.rpartition(".")
  try:
    module = importlib.import_module(module_name)
  except ImportError as e:
    raise UnknownNameError(f"cannot import {module_name!r} for {path!r}: {e}") from e
  try:
    return getattr(module, attribute)
  except AttributeError as e:
    raise UnknownNameError(f"module {module_name!r} has no attribute {attribute!r}") from e


class Registry:
  """A named table of objects; ``kind`` appears in errors ("unknown loss 'x'; valid: ...")."""

  def __init__(self, kind: str):
    self.kind = kind
    self._entries: Dict[str, Any] = {}

  def register(self, name: str) -> Callable[[T], T]:
    def decorator(obj: T) -> T:
      if name in self._entries and self._entries[name] is not obj:
        raise ValueError(f"{self.kind} {name!r} is registered twice")
      self._entries[name] = obj
      return obj

    return decorator

  def get(self, name: str) -> Any:
    if name in self._entries:
      return self._entries[name]
    if ":" in name:
      return import_dotted(name)
    raise UnknownNameError(
        f"unknown {self.kind} {name!r}; valid: {', '.join(sorted(self._entries))} "
        "(or a dotted path 'package.module:function')")

  def names(self) -> Iterable[str]:
    return sorted(self._entries)

  def __contains__(self, name: str) -> bool:
    return name in self._entries


# Family name -> the module whose ``make_experiment(config)`` builds its Experiment. Modules are
# imported only when asked for, so ``jaxgen list`` and the data tests do not pay for every model,
# and the core builds a family without importing the families package.
FAMILIES = {
    "autoencoder": "jaxgen.families.autoencoder.experiment",
    "vae": "jaxgen.families.vae.experiment",
    "gan": "jaxgen.families.gan.experiment",
    "flows": "jaxgen.families.flows.experiment",
    "pixelcnn": "jaxgen.families.pixelcnn.experiment",
    "diffusion": "jaxgen.families.diffusion.experiment",
    "flow_matching": "jaxgen.families.flow_matching.experiment",
    "sequence": "jaxgen.families.sequence.experiment",
    "ebm": "jaxgen.families.ebm.experiment",
    "classifier": "jaxgen.families.classifier.experiment",  # the augmentation study's
    "pix2pix": "jaxgen.families.pix2pix.experiment",
    "cyclegan": "jaxgen.families.cyclegan.experiment",
    "ssvae": "jaxgen.families.ssvae.experiment",
    "vqvae": "jaxgen.families.vqvae.experiment",
    "stylegan": "jaxgen.families.stylegan.experiment",
    "progan": "jaxgen.families.progan.experiment",
}


def make_experiment(config) -> Any:
  """The Experiment of ``config.family`` (a name of ``FAMILIES``)."""
  name = config.family
  if name not in FAMILIES:
    raise UnknownNameError(f"unknown family {name!r}; valid: {', '.join(sorted(FAMILIES))}")
  return importlib.import_module(FAMILIES[name]).make_experiment(config)
