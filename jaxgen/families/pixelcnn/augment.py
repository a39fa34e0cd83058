"""Distribution augmentation (Jun et al. 2020, "Distribution Augmentation for Generative Modeling",
ICML): train ``P(t(x) | t)`` over a set of bijections t of the image, the network told which t
through its conditioning embedding, so that every t's data teach the shared weights.

A transform set by name (``TRANSFORMS``): ``none`` (the identity only), ``flips`` (the identity and
the 3 flips: left-right, up-down, both), ``dihedral`` (those 4 and the same after a transpose:
the 8 symmetries of a square) and ``dihedral_shifts`` (each of those 8 followed by a cyclic shift
of the rows and columns by -1, 0 or 1: 72; on digits, whose borders are background, a shift moves
the digit by a pixel). Each t permutes the pixels, so ``P(t(x) | t)`` is, as a function of
x, a normalized distribution over images: a model in its own right, whose raster order is x's
pixels in t's order. The model we evaluate and sample is their mixture,

  ``P(x) = sum_t w_t P(t(x) | t)``  (exact: a log-sum-exp over t),

an ensemble of T orderings in one network (as order-agnostic NADE's ensembles, Uria et al. 2014),
w uniform (1/T) or, under ``model.transform_weights = "em"``, fit to the train split by EM
(``mixture.em_log_weights``; the orderings are not equally good: on digits those after a transpose
are worse); ``nll_identity`` reports DistAug's own protocol, the identity's term alone. To sample:
draw t ~ w, then y ~ P(. | t), and return t^-1(y).
"""

from typing import Callable, Optional, Sequence

import jax
import jax.numpy as jnp

from jaxgen.core.registry import Registry
from jaxgen.eval.likelihood import log_mean_exp
from jaxgen.errors import ConfigError
from jaxgen.families.pixelcnn import mixture

TRANSFORMS = Registry("distribution augmentation")

# A transform is (transpose, flip rows, flip columns, roll rows, roll columns), applied in that
# order to [B, H, W, C]; the rolls are cyclic shifts by that many pixels.
Transform = tuple[bool, bool, bool, int, int]

_FLIPS: tuple[Transform, ...] = ((False, False, False, 0, 0), (False, False, True, 0, 0),
                                 (False, True, False, 0, 0), (False, True, True, 0, 0))
_DIHEDRAL = _FLIPS + tuple((True, *t[1:]) for t in _FLIPS)
_SHIFTS = [(0, 0)] + [(dy, dx) for dy in (-1, 0, 1) for dx in (-1, 0, 1) if (dy, dx) != (0, 0)]
TRANSFORMS.register("none")((_FLIPS[0],))
TRANSFORMS.register("flips")(_FLIPS)
TRANSFORMS.register("dihedral")(_DIHEDRAL)
TRANSFORMS.register("dihedral_shifts")(tuple((*t[:3], dy, dx) for dy, dx in _SHIFTS for t in _DIHEDRAL))


def transform_set(name: str, shape: Sequence[int]) -> tuple[Transform, ...]:
  """The transforms of ``name`` for images of ``shape`` [H, W, C]; transposes need H == W."""
  transforms = TRANSFORMS.get(name)
  if any(t[0] for t in transforms) and shape[0] != shape[1]:
    raise ConfigError(f"model.dist_aug={name!r} transposes images, which needs square ones; "
                      f"these are {tuple(shape)} (use 'flips')")
  return transforms


def apply(t: Transform, x: jax.Array) -> jax.Array:
  """t(x) for x: [B, H, W, C]."""
  transpose, rows, cols, shift_rows, shift_cols = t
  if transpose:
    x = jnp.swapaxes(x, 1, 2)
  if rows:
    x = x[:, ::-1]
  if cols:
    x = x[:, :, ::-1]
  if shift_rows or shift_cols:
    x = jnp.roll(x, (shift_rows, shift_cols), axis=(1, 2))
  return x


def invert(t: Transform, y: jax.Array) -> jax.Array:
  """t^-1(y) for y: [B, H, W, C] (the shifts undone, then the flips, then the transpose)."""
  transpose, rows, cols, shift_rows, shift_cols = t
  y = apply((False, False, False, -shift_rows, -shift_cols), y)
  return apply((transpose, False, False, 0, 0), apply((False, rows, cols, 0, 0), y))


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


def transform_log_probs(transforms: Sequence[Transform], x: jax.Array,
                        log_prob: Callable[[jax.Array, int], jax.Array]) -> jax.Array:
  """``log P(t(x) | t)`` for every transform: [T, B], with ``log_prob(t(x), t)`` the conditional
  model's exact log-probability of a batch given transform index t."""
  return jnp.stack([log_prob(apply(t, x), n) for n, t in enumerate(transforms)])


def mixture_log_prob(transforms: Sequence[Transform], x: jax.Array,
                     log_prob: Callable[[jax.Array, int], jax.Array],
                     log_weights: Optional[jax.Array] = None) -> tuple[jax.Array, jax.Array]:
  """``log sum_t w_t P(t(x) | t)`` [B] and the identity's term [B] (``transform_log_probs``'
  log_prob); w uniform, 1/T, unless ``log_weights`` [T] gives log w."""
  terms = transform_log_probs(transforms, x, log_prob)
  if log_weights is None:
    return log_mean_exp(terms, axis=0), terms[0]
  return mixture.log_mixture(terms, log_weights), terms[0]
