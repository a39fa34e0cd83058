"""Flow objectives by name: negative log-likelihood in nats, or in bits/dim of dequantized data.

A loss has the signature ``loss(log_density, num_dims, num_levels) -> [B]``: ``log_density`` is
the per-example log-density in nats of the data in [0, 1] coordinates (for images: of the
dequantized x = (level + u) / L, minus log q(u | x) under variational dequantization), ``num_dims``
is D and ``num_levels`` L (None for continuous data). Register a new one with
``@register_loss("name")`` or name it by dotted path (``loss.name = "my_package.losses:my_loss"``).

Dequantization (``dequantization.py``) turns discrete levels into continuous x so that a density
can be fitted without collapsing onto the L^D points of the data; with uniform noise
(Theis et al. 2016) or a learned q(u | x) (Flow++, Ho et al. 2019), ``E[log p(x) - log q(u | x)]
- D ln L`` lower-bounds the discrete log-likelihood, so both losses bound the discrete NLL.
"""

import jax

from jaxgen import eval as eval_lib
from jaxgen.registry import Registry
from jaxgen.errors import ConfigError

LOSSES = Registry("flow loss")
register_loss = LOSSES.register


@register_loss("nll")
def nll(log_density: jax.Array, num_dims: int, num_levels: int | None) -> jax.Array:
  """``-log p(x)`` in nats: the objective for continuous data (2-D toys). [B] -> [B]."""
  del num_dims, num_levels  # Nats per example need neither.
  return -log_density


@register_loss("bits_per_dim")
def bits_per_dim(log_density: jax.Array, num_dims: int, num_levels: int | None) -> jax.Array:
  """``(-log p(x) + D ln L) / (D ln 2)``: the discrete data's bits/dim bound in Glow's convention
  (``jaxgen.eval.dequantized_bits_per_dim``). Minimising it minimises the NLL; the constant
  and the 1 / D scale make its values and learning rates comparable across image sizes."""
  if num_levels is None:
    raise ConfigError("loss.name='bits_per_dim' needs discrete data with a number of levels; "
                      "use loss.name='nll' for continuous data")
  return eval_lib.dequantized_bits_per_dim(log_density, num_dims, num_levels)
