"""Distribution augmentation (Jun et al. 2020, "Distribution Augmentation for Generative Modeling",
ICML): train ``P(t(x) | t)`` over a set of bijections t of the image, the network told which t
through its conditioning embedding, so that every t's data teach the shared weights.

A transform set by name (``TRANSFORMS``): ``none`` (the identity only), ``flips`` (the identity and
the 3 flips: left-right, up-down, both) and ``dihedral`` (those 4 and the same after a transpose:
the 8 symmetries of a square). Each t permutes the pixels, so ``P(t(x) | t)`` is, as a function of
x, a normalized distribution over images: a model in its own right, whose raster order is x's
pixels in t's order. The model we evaluate and sample is their uniform mixture,

  ``P(x) = 1/T sum_t P(t(x) | t)``  (exact: a log-mean-exp over t),

an ensemble of T orderings in one network (as order-agnostic NADE's ensembles, Uria et al. 2014);
``nll_identity`` reports DistAug's own protocol, the identity's term alone. To sample: draw t
uniformly, then y ~ P(. | t), and return t^-1(y).
"""

from typing import Callable, Sequence

import jax
import jax.numpy as jnp

from jaxgen.errors import ConfigError
from jaxgen.eval.likelihood import log_mean_exp
from jaxgen.registry import Registry

TRANSFORMS = Registry("distribution augmentation")

# A transform is (transpose, flip rows, flip columns), applied in that order to [B, H, W, C].
Transform = tuple[bool, bool, bool]

_FLIPS: tuple[Transform, ...] = ((False, False, False), (False, False, True),
                                 (False, True, False), (False, True, True))
TRANSFORMS.register("none")(_FLIPS[:1])
TRANSFORMS.register("flips")(_FLIPS)
TRANSFORMS.register("dihedral")(_FLIPS + tuple((True, *t[1:]) for t in _FLIPS))


def transform_set(name: str, shape: Sequence[int]) -> tuple[Transform, ...]:
  """The transforms of ``name`` for images of ``shape`` [H, W, C]; transposes need H == W."""
  transforms = TRANSFORMS.get(name)
  if any(t[0] for t in transforms) and shape[0] != shape[1]:
    raise ConfigError(f"model.dist_aug={name!r} transposes images, which needs square ones; "
                      f"these are {tuple(shape)} (use 'flips')")
  return transforms


def apply(t: Transform, x: jax.Array) -> jax.Array:
  """t(x) for x: [B, H, W, C]."""
  transpose, rows, cols = t
  if transpose:
    x = jnp.swapaxes(x, 1, 2)
  if rows:
    x = x[:, ::-1]
  if cols:
    x = x[:, :, ::-1]
  return x


def invert(t: Transform, y: jax.Array) -> jax.Array:
  """t^-1(y) for y: [B, H, W, C] (the flips undone, then the transpose)."""
  transpose, rows, cols = t
  return apply((transpose, False, False), apply((False, rows, cols), y))


def _select(outputs: list, index: jax.Array) -> jax.Array:
  """Per example b, outputs[index[b]][b]: T arrays [B, ...] -> [B, ...]."""
  stacked = jnp.stack(outputs)
  return jnp.take_along_axis(stacked, index.reshape(1, -1, *(1,) * (stacked.ndim - 2)), axis=0)[0]


def apply_each(transforms: Sequence[Transform], x: jax.Array, index: jax.Array) -> jax.Array:
  """x[b] moved by transforms[index[b]]: x [B, H, W, C], index [B] int -> [B, H, W, C]."""
  return _select([apply(t, x) for t in transforms], index)


def invert_each(transforms: Sequence[Transform], y: jax.Array, index: jax.Array) -> jax.Array:
  """y[b] moved back by transforms[index[b]]^-1."""
  return _select([invert(t, y) for t in transforms], index)


def mixture_log_prob(transforms: Sequence[Transform], x: jax.Array,
                     log_prob: Callable[[jax.Array, int], jax.Array]):
  """``log 1/T sum_t P(t(x) | t)`` [B] and the identity's term [B], with ``log_prob(t(x), t)`` the
  conditional model's exact log-probability of a batch given transform index t."""
  terms = jnp.stack([log_prob(apply(t, x), n) for n, t in enumerate(transforms)])  # [T, B]
  return log_mean_exp(terms, axis=0), terms[0]
