"""Energy networks: x -> E(x), a scalar per example (lower: more likely)."""

from typing import Sequence

import flax.linen as nn
import jax


class EnergyMLP(nn.Module):
  """An MLP energy for points: Swish hidden layers, a linear scalar output. x: [B, D] -> [B]."""
  hidden: Sequence[int] = (128, 128, 128)

  @nn.compact
  def __call__(self, x: jax.Array) -> jax.Array:
    for width in self.hidden:
      x = nn.swish(nn.Dense(width)(x))
    return nn.Dense(1)(x)[:, 0]
