"""Reflow and distillation (Liu et al. 2023, "Flow Straight and Fast"): training on a coupling.

A rectified flow's ODE maps noise z to a sample x = ODE(z). Training the next flow on those pairs,
x_t = alpha_t x + sigma_t z with the z that made x instead of an independent draw, straightens its
paths (reflow: the straight line from z to x is now a path the ODE can follow), so a few Euler
steps follow them. Distillation for k-step sampling trains on the same pairs only at the k times
that Euler's uniform grid visits, t in {1/k, 2/k, ..., 1}; k = 1 maps z to x in one evaluation.

``jaxgen sample --config.sample.with_noise=True --out pairs.npz`` writes the pairs: ``noise`` z
and ``samples`` x, [N, *shape] each. ``reflow.pairs`` names that file; ``reflow.time_grid`` is
distillation's k (0: t ~ U[t_min, 1], reflow).
"""

import dataclasses
import os

import jax
import jax.numpy as jnp
import numpy as np

from jaxgen.errors import ConfigError, DataError


@dataclasses.dataclass(frozen=True)
class Pairs:
  """A coupling held on the device: ``noise`` z and ``samples`` x = ODE(z), [N, *shape] each.

  The compiled train step closes over them as constants: right for digits-sized sets (10,000
  pairs of 8x8 images, 5 MB); pairs of larger images belong in the data pipeline instead."""
  noise: jax.Array
  samples: jax.Array

  def draw(self, rng: jax.Array, num: int) -> tuple[jax.Array, jax.Array]:
    """``num`` pairs drawn uniformly with replacement: (x [num, *shape], z [num, *shape])."""
    index = jax.random.randint(rng, (num,), 0, self.noise.shape[0])
    return self.samples[index], self.noise[index]


def load_pairs(path: str, shape: tuple) -> Pairs:
  """The pairs of ``jaxgen sample --config.sample.with_noise=True``'s ``.npz`` at ``path``."""
  if not os.path.isfile(path):
    raise ConfigError(f"reflow.pairs: no file {path!r}; write one with `jaxgen sample --workdir "
                      "TEACHER --num N --out pairs.npz --config.sample.with_noise=True`")
  with np.load(path) as stored:
    missing = {"noise", "samples"} - set(stored.files)
    if missing:
      raise DataError(f"reflow.pairs {path!r} lacks {', '.join(sorted(missing))}: expected the "
                      "arrays 'noise' and 'samples' of `jaxgen sample --config.sample.with_noise=True`")
    noise, samples = (np.asarray(stored[k], np.float32) for k in ("noise", "samples"))
  if noise.shape != samples.shape or noise.shape[1:] != tuple(shape):
    raise DataError(f"reflow.pairs {path!r}: noise {noise.shape} and samples {samples.shape} must "
                    f"both be [N, {', '.join(map(str, shape))}]")
  if not (np.isfinite(noise).all() and np.isfinite(samples).all()):
    raise DataError(f"reflow.pairs {path!r} holds non-finite values")
  return Pairs(jnp.asarray(noise), jnp.asarray(samples))


def times(rng: jax.Array, num: int, t_min: float, time_grid: int) -> jax.Array:
  """[num] training times: U[t_min, 1] (``time_grid`` 0), else uniform on {1/k, ..., 1}, k the grid."""
  if not time_grid:
    return jax.random.uniform(rng, (num,), minval=t_min, maxval=1.0)
  return jax.random.randint(rng, (num,), 1, time_grid + 1) / time_grid
