"""Normalising constants of 2-D densities by integration on a fine grid.

An energy-based model gives ``p(x) = exp(-E(x)) / Z`` with Z unknown. In two dimensions Z is a
sum: ``Z ~ sum_cells exp(-E(centre)) * cell_area`` over a box holding all the mass, exact up to
the grid's resolution (the midpoint rule's error falls as the cell width squared). Then
``log p(x) = -E(x) - log Z``, and the model's NLL and KL gap are measured, not bounded.
"""

import math
from typing import Callable

import jax
import jax.numpy as jnp
import numpy as np


def grid_points(low: float, high: float, num: int) -> tuple[np.ndarray, float]:
  """The centres of ``num x num`` square cells tiling ``[low, high]^2``: ([num^2, 2], cell area)."""
  width = (high - low) / num
  axis = low + width * (np.arange(num) + 0.5)
  xs, ys = np.meshgrid(axis, axis, indexing="ij")
  return np.stack([xs.ravel(), ys.ravel()], axis=1).astype(np.float32), width**2


def log_normalizer(log_density: Callable[[jax.Array], jax.Array], low: float, high: float,
                   num: int = 1000, chunk: int = 2**16) -> float:
  """``log integral exp(log_density(x)) dx`` over ``[low, high]^2`` by the midpoint rule on a
  ``num x num`` grid; ``log_density``: [n, 2] -> [n] (unnormalised), called on ``chunk`` points
  at a time. A float, accumulated in float64."""
  points, area = grid_points(low, high, num)
  values = np.concatenate([np.asarray(log_density(jnp.asarray(points[i:i + chunk])), np.float64)
                           for i in range(0, len(points), chunk)])
  top = values.max()
  return float(top + math.log(np.sum(np.exp(values - top)) * area))
