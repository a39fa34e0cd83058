"""Dequantization: from L discrete levels per dimension to a continuous x in [0, 1].

``uniform`` (Theis et al. 2016; Glow): x = (level + u) / L with u ~ U[0, 1)^D, drawn by the data
pipeline (``config.data.dequantize=True``). ``variational`` (Flow++, Ho et al. 2019, sec. 3.1):
u ~ q(u | level) is learned jointly with the flow, and the objective subtracts log q(u | level),
which tightens the bound on the discrete likelihood where uniform noise would waste density on
the corners of each bin. Here q is a one-layer version of Flow++'s conditional flow: a
conditional logistic-normal, u = sigmoid(mu + sigma * eps) with (mu, log sigma) from a CNN of the
levels (the pipeline then delivers level / (L - 1): ``config.data.dequantize=False``).
"""

import flax.linen as nn
import jax
import jax.numpy as jnp

from jaxgen.families.flows.bijectors import sum_except_batch
from jaxgen.families.flows.flow import base_log_prob
from jaxgen.families.flows.networks import ConvNet

DEQUANTIZATIONS = ("uniform", "variational")


def levels_of(x: jax.Array, num_levels: int) -> jax.Array:
  """The integer levels (as floats) of undequantized data x = level / (L - 1) in [0, 1]."""
  return jnp.round(x * (num_levels - 1))


class VariationalDequantizer(nn.Module):
  """q(u | level): levels [B, H, W, C] and noise eps ~ N(0, I) of the same shape ->
  (u in (0, 1), log q(u | level): [B]).

  With v = mu + sigma * eps and u = sigmoid(v), the change of variables gives
  ``log q(u) = log N(eps) - sum log sigma - sum log sigmoid'(v)``, with
  log sigmoid'(v) = log sigmoid(v) + log sigmoid(-v).
  """
  features: int
  num_levels: int

  @nn.compact
  def __call__(self, levels: jax.Array, noise: jax.Array) -> tuple[jax.Array, jax.Array]:
    centred = levels / (self.num_levels - 1) - 0.5
    h = ConvNet(self.features, 2)(centred)
    mean, log_std = h[..., 0], h[..., 1]
    v = mean + jnp.exp(log_std) * noise
    log_q = (base_log_prob(noise, "normal") - sum_except_batch(log_std)
             - sum_except_batch(jax.nn.log_sigmoid(v) + jax.nn.log_sigmoid(-v)))
    return jax.nn.sigmoid(v), log_q
