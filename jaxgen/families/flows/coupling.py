"""Coupling layers: NICE's additive coupling, RealNVP's affine coupling and the rational-quadratic
spline coupling of Neural Spline Flows, with their masks.

A binary mask b splits x into a conditioning part x_a = b * x, passed through unchanged, and a
transformed part x_b = (1 - b) * x whose map is computed from x_a by a network (``networks.py``).
The Jacobian is triangular, so its log-determinant is the sum of the transformed part's
elementwise log-derivatives (an affine coupling's log-scales), and the inverse needs the network
only in the forward direction.

Masks (1 marks x_a):
  ``alternate``     flat index even (parity 0) or odd (parity 1): NICE's partition of a vector;
                    on 2-D points it is x_a = the first (or second) coordinate
  ``checkerboard``  (row + column) even or odd, every channel alike: RealNVP's spatial mask
  ``channel``       the first (or second) half of the last axis: RealNVP's channel-wise mask,
                    Glow's split (on vectors: the first or second half of the features)
"""

import jax
import jax.numpy as jnp
import flax.linen as nn
import numpy as np

from jaxgen.errors import ConfigError, UnknownNameError
from jaxgen.families.flows.bijectors import Bijector, sum_except_batch
from jaxgen.families.flows.spline import rational_quadratic_spline, spline_parameters

MASKS = ("alternate", "checkerboard", "channel")
# How the network's raw output r becomes the log-scale s of an affine coupling.
SCALES = ("exp", "tanh", "sigmoid")


def coupling_mask(shape: tuple, kind: str, parity: int) -> np.ndarray:
  """The float32 mask ``[*shape]`` of ``kind`` (see the module docstring); shape excludes B."""
  if kind == "alternate":
    flat = np.arange(int(np.prod(shape))).reshape(shape)
    return (flat % 2 == parity).astype(np.float32)
  if kind == "checkerboard":
    if len(shape) != 3:
      raise ConfigError(f"the checkerboard mask needs images [H, W, C]; got shape {tuple(shape)}")
    rows, columns = np.indices(shape[:2])
    board = (rows + columns) % 2 == parity
    return np.broadcast_to(board[:, :, None], shape).astype(np.float32)
  if kind == "channel":
    first_half = np.arange(shape[-1]) < shape[-1] // 2
    return np.broadcast_to(first_half == (parity == 0), shape).astype(np.float32)
  raise UnknownNameError(f"unknown coupling mask {kind!r}; valid: {', '.join(MASKS)}")


class AdditiveCoupling(Bijector):
  """NICE's additive coupling (Dinh et al. 2015, eq. 4 with g(a; b) = a + b):
  ``y = x + (1 - b) * m(b * x)``, volume-preserving (log_det = 0).

  ``network``: [B, *shape] -> [B, *shape, 1] (``outputs_per_element=1``).
  """
  network: nn.Module
  mask: str = "alternate"
  parity: int = 0

  def _shift(self, x: jax.Array) -> tuple[jax.Array, jax.Array]:
    b = coupling_mask(x.shape[1:], self.mask, self.parity)
    return b, self.network(x * b)[..., 0]

  def forward(self, x: jax.Array) -> tuple[jax.Array, jax.Array]:
    b, shift = self._shift(x)
    return x + (1.0 - b) * shift, jnp.zeros(x.shape[:1], x.dtype)

  def inverse(self, y: jax.Array) -> tuple[jax.Array, jax.Array]:
    b, shift = self._shift(y)  # y_a = x_a, so the network sees what it saw going forward.
    return y - (1.0 - b) * shift, jnp.zeros(y.shape[:1], y.dtype)


class AffineCoupling(Bijector):
  """RealNVP's affine coupling (Dinh et al. 2017, eq. 9):
  ``y = b * x + (1 - b) * (x * exp(s(b * x)) + t(b * x))``, log_det = sum (1 - b) * s.

  ``scale`` maps the network's raw output r to s: ``exp`` s = r (eq. 9 as written); ``tanh``
  s = c * tanh(r), c a learned per-channel factor starting at 1 (RealNVP's code: bounded
  log-scales keep early training stable); ``sigmoid`` s = log sigmoid(r + 2) (Glow's code:
  contracting scales that start near 0.88). ``network``: [B, *shape] -> [B, *shape, 2], the
  shift t and r.
  """
  network: nn.Module
  mask: str = "channel"
  parity: int = 0
  scale: str = "tanh"

  @nn.compact
  def _shift_and_log_scale(self, x: jax.Array) -> tuple[jax.Array, jax.Array, jax.Array]:
    b = coupling_mask(x.shape[1:], self.mask, self.parity)
    h = self.network(x * b)
    shift, raw = h[..., 0], h[..., 1]
    if self.scale == "exp":
      log_scale = raw
    elif self.scale == "tanh":
      factor = self.param("scale_factor", nn.initializers.ones, (x.shape[-1],))
      log_scale = factor * jnp.tanh(raw)
    elif self.scale == "sigmoid":
      log_scale = jax.nn.log_sigmoid(raw + 2.0)
    else:
      raise UnknownNameError(f"unknown coupling scale {self.scale!r}; valid: {', '.join(SCALES)}")
    return b, shift, (1.0 - b) * log_scale

  def forward(self, x: jax.Array) -> tuple[jax.Array, jax.Array]:
    b, shift, log_scale = self._shift_and_log_scale(x)
    y = b * x + (1.0 - b) * (x * jnp.exp(log_scale) + shift)
    return y, sum_except_batch(log_scale)

  def inverse(self, y: jax.Array) -> tuple[jax.Array, jax.Array]:
    b, shift, log_scale = self._shift_and_log_scale(y)
    x = b * y + (1.0 - b) * (y - shift) * jnp.exp(-log_scale)
    return x, -sum_except_batch(log_scale)


class SplineCoupling(Bijector):
  """The rational-quadratic spline coupling (Durkan et al. 2019, sec. 3.2 with the spline of
  sec. 3.1): ``y = b * x + (1 - b) * g(x; theta(b * x))``, g a monotonic rational-quadratic spline
  per element with ``num_bins`` bins on [-tail_bound, tail_bound] and the identity outside
  (``spline.py``); log_det = sum (1 - b) * log g'(x).

  ``network``: [B, *shape] -> [B, *shape, 3 * num_bins - 1], the unconstrained widths, heights and
  interior derivatives (``spline.spline_parameters``); a zero output is the identity spline.
  """
  network: nn.Module
  mask: str = "channel"
  parity: int = 0
  num_bins: int = 8
  tail_bound: float = 3.0

  def _transform(self, x: jax.Array, inverse: bool) -> tuple[jax.Array, jax.Array]:
    b = coupling_mask(x.shape[1:], self.mask, self.parity)
    widths, heights, derivatives = spline_parameters(self.network(x * b), self.num_bins)
    y, log_derivative = rational_quadratic_spline(x, widths, heights, derivatives, inverse,
                                                  self.tail_bound)
    return b * x + (1.0 - b) * y, sum_except_batch((1.0 - b) * log_derivative)

  def forward(self, x: jax.Array) -> tuple[jax.Array, jax.Array]:
    return self._transform(x, inverse=False)

  def inverse(self, y: jax.Array) -> tuple[jax.Array, jax.Array]:
    return self._transform(y, inverse=True)  # y_a = x_a: the network sees what it saw forward.
