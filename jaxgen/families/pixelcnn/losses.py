"""PixelCNN objectives by name: ``nll`` (nats) and ``bits_per_dim``.

A PixelCNN's likelihood is exact: ``log P(x) = sum_i log P(x_i | x_<i)`` (van den Oord et al.
2016a, eq. 1), the sum over pixels of the head's log-probabilities. A loss has the signature
``loss(log_prob [B], num_dims, num_levels) -> (per_example [B], aux {name: [B]})``; register a new
one with ``@register_loss("name")`` or name it by dotted path (``loss.name = "pkg.mod:fn"``).
"""

import math

import jax

from jaxgen import eval as eval_lib
from jaxgen.registry import Registry

LOSSES = Registry("PixelCNN loss")
register_loss = LOSSES.register


def bits_per_dim_of(log_prob: jax.Array, num_dims: int, num_levels: int) -> jax.Array:
  """``-log2 P(x) / D`` in the field's dequantized convention (Glow): the discrete model's P(v) is
  the density ``P(v) L^D`` of a piecewise-constant density on [0, 1] (bins of width 1 / L), whose
  dequantized bits/dim ``(-(log P + D ln L) + D ln L) / (D ln 2)`` is the same number."""
  log_density = log_prob + num_dims * math.log(num_levels)
  return eval_lib.dequantized_bits_per_dim(log_density, num_dims, num_levels)


def _terms(log_prob: jax.Array, num_dims: int, num_levels: int) -> dict:
  terms = {"nll": -log_prob}
  if num_levels > 2:
    terms["bits_per_dim"] = bits_per_dim_of(log_prob, num_dims, num_levels)
  return terms


@register_loss("nll")
def nll(log_prob: jax.Array, num_dims: int, num_levels: int):
  """Negative log-likelihood ``-log P(x)`` in nats per example (binary data's convention)."""
  return -log_prob, _terms(log_prob, num_dims, num_levels)


@register_loss("bits_per_dim")
def bits_per_dim(log_prob: jax.Array, num_dims: int, num_levels: int):
  """``-log2 P(x) / D`` (multi-level images' convention): the nll scaled by 1 / (D ln 2)."""
  return bits_per_dim_of(log_prob, num_dims, num_levels), _terms(log_prob, num_dims, num_levels)
