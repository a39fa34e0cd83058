"""Energy networks: x -> E(x), a scalar per example (lower: more likely), or JEM's class logits
f(x), whose energies are E(x, y) = -f(x)[y] and E(x) = -logsumexp_y f(x)[y]."""

from typing import Sequence

import flax.linen as nn
import jax

from jaxgen.nn.conv import Conv


class EnergyMLP(nn.Module):
  """An MLP energy for points: Swish hidden layers, a linear scalar output. x: [B, D] -> [B]."""
  hidden: Sequence[int] = (128, 128, 128)

  @nn.compact
  def __call__(self, x: jax.Array) -> jax.Array:
    for width in self.hidden:
      x = nn.swish(nn.Dense(width)(x))
    return nn.Dense(1)(x)[:, 0]


class EnergyCNN(nn.Module):
  """A convolutional network of images: x [B, H, W, C] -> [B, num_outputs], one output (the
  energy) or K (JEM's logits).

  Per entry of ``widths``: a 3x3 convolution and a 3x3 stride-2 one (halving H and W, rounding
  up); then the Dense ``hidden`` layers and a linear output; Swish throughout, whose smooth
  gradient is what Langevin dynamics follows (no normalisation layers: an energy of one image
  must not depend on the others in its batch). The convolutions are ``jaxgen.nn.conv``'s: on the
  CPU, im2col, as fast inside the sampler's ``lax.scan`` as outside it.
  """
  widths: Sequence[int] = (32, 64)
  hidden: Sequence[int] = (128,)
  num_outputs: int = 1

  @nn.compact
  def __call__(self, x: jax.Array) -> jax.Array:
    for width in self.widths:
      x = nn.swish(Conv(width, 3)(x))
      x = nn.swish(Conv(width, 3, stride=2)(x))
    x = x.reshape(x.shape[0], -1)
    for width in self.hidden:
      x = nn.swish(nn.Dense(width)(x))
    return nn.Dense(self.num_outputs)(x)
