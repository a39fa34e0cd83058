"""Mixed-precision training by name: ``train.compute_dtype`` (``COMPUTE_DTYPES``).

``float32`` computes everything in float32. ``bfloat16`` is mixed precision as in Micikevicius et
al. 2018 ("Mixed Precision Training") with bfloat16's float32 exponent range, so without loss
scaling: parameters, gradients, optimizer state, EMA and the loss stay float32; the network's
convolutions and matmuls (and its activations between them) run in bfloat16, the training step's
network built with Flax's ``dtype=bfloat16, param_dtype=float32``. Normalisation statistics and
attention softmaxes are computed in float32, and the network's output is cast back to float32
before the loss. Evaluation and sampling use the same parameters in a float32 network.

A family that supports it lists the names in its Experiment's ``compute_dtypes``; the runner
refuses the others (``check``).
"""

import jax.numpy as jnp
import ml_collections

from jaxgen.errors import ConfigError, UnknownNameError

COMPUTE_DTYPES = {"float32": jnp.float32, "bfloat16": jnp.bfloat16}


def compute_dtype(name: str):
  """The jnp dtype of ``train.compute_dtype`` ``name``."""
  if name not in COMPUTE_DTYPES:
    raise UnknownNameError(f"unknown train.compute_dtype {name!r}; valid: "
                           f"{', '.join(COMPUTE_DTYPES)}")
  return COMPUTE_DTYPES[name]


def check(config: ml_collections.ConfigDict, experiment) -> None:
  """Raises unless ``config.family``'s experiment supports ``train.compute_dtype``."""
  name = config.train.compute_dtype
  compute_dtype(name)
  supported = experiment.compute_dtypes
  if name not in supported:
    raise ConfigError(f"train.compute_dtype={name!r} is not supported by the {config.family!r} "
                      f"family (it supports: {', '.join(supported)}); mixed precision is built for "
                      "the diffusion family's U-Net and MLP")
