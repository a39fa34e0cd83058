"""The generative families. Each is a self-contained experiment module on the shared runner.

``make_experiment(config)`` builds the Experiment of ``config.family``. Families are imported
only when asked for, so ``jaxgen list`` and the data tests do not pay for every model.
"""

import importlib

import ml_collections

from jaxgen.errors import UnknownNameError

FAMILIES = {
    "autoencoder": "jaxgen.families.autoencoder.experiment",
    "vae": "jaxgen.families.vae.experiment",
    "gan": "jaxgen.families.gan.experiment",
    "flows": "jaxgen.families.flows.experiment",
    "pixelcnn": "jaxgen.families.pixelcnn.experiment",
    "diffusion": "jaxgen.families.diffusion.experiment",
}


def family_names() -> list[str]:
  return sorted(FAMILIES)


def make_experiment(config: ml_collections.ConfigDict):
  name = config.family
  if name not in FAMILIES:
    raise UnknownNameError(f"unknown family {name!r}; valid: {', '.join(family_names())}")
  return importlib.import_module(FAMILIES[name]).make_experiment(config)
