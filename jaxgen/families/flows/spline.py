"""Monotonic rational-quadratic splines (Durkan et al. 2019, "Neural Spline Flows", sec. 3.1 and
appendix A), the elementwise map of ``coupling.SplineCoupling``.

On [-B, B] the spline passes through K + 1 knots (x^k, y^k) from (-B, -B) to (B, B), with positive
derivatives delta^k at the knots; in bin k, with s^k = (y^{k+1} - y^k) / (x^{k+1} - x^k) and
xi = (x - x^k) / (x^{k+1} - x^k) in [0, 1], it is the rational-quadratic function (eq. 4)

  g(x) = y^k + (y^{k+1} - y^k) [s^k xi^2 + delta^k xi (1 - xi)]
               / [s^k + (delta^{k+1} + delta^k - 2 s^k) xi (1 - xi)],

monotonic because every delta^k > 0, with the derivative (eq. 5)

  g'(x) = (s^k)^2 [delta^{k+1} xi^2 + 2 s^k xi (1 - xi) + delta^k (1 - xi)^2]
          / [s^k + (delta^{k+1} + delta^k - 2 s^k) xi (1 - xi)]^2,

and an inverse that solves the quadratic a xi^2 + b xi + c = 0 of eqs. 6-8 (appendix A) for its
root in [0, 1]. Outside [-B, B] the map is the identity ("linear tails", sec. 3.1): the boundary
derivatives delta^0 = delta^K = 1 make it continuously differentiable there.

Minimum bin widths, heights and derivatives of 1e-3 are those of the paper's reference code: they
keep every bin and slope away from 0, where the inverse and the log-derivative degenerate.
"""

import math

import jax
import jax.numpy as jnp

MIN_BIN_WIDTH = 1e-3
MIN_BIN_HEIGHT = 1e-3
MIN_DERIVATIVE = 1e-3
# softplus(r + DERIVATIVE_SHIFT) + MIN_DERIVATIVE == 1 at r = 0: a zero network output is the
# identity spline, so a coupling with a zero-initialised last layer starts as the identity.
DERIVATIVE_SHIFT = math.log(math.expm1(1.0 - MIN_DERIVATIVE))


def parameters_per_element(num_bins: int) -> int:
  """K widths, K heights and the K - 1 interior derivatives."""
  return 3 * num_bins - 1


def spline_parameters(raw: jax.Array, num_bins: int) -> tuple[jax.Array, jax.Array, jax.Array]:
  """Unconstrained network outputs ``raw: [..., 3K - 1]`` -> (widths [..., K], heights [..., K],
  derivatives [..., K - 1]): widths and heights are fractions of the interval (a softmax, each at
  least MIN_BIN_WIDTH / MIN_BIN_HEIGHT, summing to 1); interior derivatives are a softplus, at
  least MIN_DERIVATIVE. raw = 0 gives uniform bins and unit derivatives: the identity."""
  raw_widths, raw_heights, raw_derivatives = jnp.split(raw, [num_bins, 2 * num_bins], axis=-1)
  widths = MIN_BIN_WIDTH + (1.0 - MIN_BIN_WIDTH * num_bins) * jax.nn.softmax(raw_widths, axis=-1)
  heights = MIN_BIN_HEIGHT + (1.0 - MIN_BIN_HEIGHT * num_bins) * jax.nn.softmax(raw_heights, axis=-1)
  derivatives = MIN_DERIVATIVE + jax.nn.softplus(raw_derivatives + DERIVATIVE_SHIFT)
  return widths, heights, derivatives


def _knots(fractions: jax.Array, bound: float) -> jax.Array:
  """Bin sizes as fractions of [-B, B] ``[..., K]`` -> knot positions ``[..., K + 1]`` from -B to B
  (the ends set exactly, not left to the rounding of a cumulative sum)."""
  inner = -bound + 2.0 * bound * jnp.cumsum(fractions[..., :-1], axis=-1)
  ends = jnp.ones_like(fractions[..., :1]) * bound
  return jnp.concatenate([-ends, inner, ends], axis=-1)


def _in_bin(values: jax.Array, index: jax.Array) -> jax.Array:
  """values[..., index] for per-element bin indices: [..., N], [...] -> [...]."""
  return jnp.take_along_axis(values, index[..., None], axis=-1)[..., 0]


def rational_quadratic_spline(x: jax.Array, widths: jax.Array, heights: jax.Array,
                              derivatives: jax.Array, inverse: bool, bound: float
                              ) -> tuple[jax.Array, jax.Array]:
  """The spline g of the module docstring, elementwise, or its inverse.

  x: [...] (the inputs, or the outputs when ``inverse``); widths, heights: [..., K], positive
  fractions of the interval [-bound, bound] that sum to 1; derivatives: [..., K - 1], the positive
  derivatives at the interior knots (those at -bound and bound are 1). The parameters' leading
  axes broadcast against x's. Returns (g(x) or g^-1(x), log |dg/dx| or log |dg^-1/dx|), both
  [...]: the identity with log-derivative 0 outside [-bound, bound].
  """
  widths, heights, derivatives = (jnp.broadcast_to(p, x.shape + p.shape[-1:])
                                  for p in (widths, heights, derivatives))
  knots_x = _knots(widths, bound)
  knots_y = _knots(heights, bound)
  ones = jnp.ones_like(derivatives[..., :1])
  knot_derivatives = jnp.concatenate([ones, derivatives, ones], axis=-1)  # [..., K + 1]

  inside = (x >= -bound) & (x <= bound)
  # A point inside stands in for those outside, so that the unused branch stays finite (and so
  # does its gradient); a clip instead would halve the derivative at +-bound.
  x_in = jnp.where(inside, x, 0.0)
  searched = knots_y if inverse else knots_x
  bin_index = jnp.sum(x_in[..., None] >= searched[..., 1:-1], axis=-1)  # 0 .. K - 1

  x_low, x_high = _in_bin(knots_x, bin_index), _in_bin(knots_x, bin_index + 1)
  y_low, y_high = _in_bin(knots_y, bin_index), _in_bin(knots_y, bin_index + 1)
  delta_low = _in_bin(knot_derivatives, bin_index)
  delta_high = _in_bin(knot_derivatives, bin_index + 1)
  bin_width, bin_height = x_high - x_low, y_high - y_low
  slope = bin_height / bin_width  # s^k
  curvature = delta_high + delta_low - 2.0 * slope

  if inverse:
    offset = x_in - y_low
    a = bin_height * (slope - delta_low) + offset * curvature  # eq. 6
    b = bin_height * delta_low - offset * curvature  # eq. 7
    c = -slope * offset  # eq. 8
    discriminant = jnp.maximum(b * b - 4.0 * a * c, 0.0)  # >= 0 exactly; rounding can dip below
    # The root in [0, 1], in the form that is stable as a -> 0 (a linear bin).
    xi = 2.0 * c / (-b - jnp.sqrt(discriminant))
  else:
    xi = (x_in - x_low) / bin_width

  xi_one_minus_xi = xi * (1.0 - xi)
  denominator = slope + curvature * xi_one_minus_xi
  log_derivative = (2.0 * jnp.log(slope)  # eq. 5
                    + jnp.log(delta_high * xi**2 + 2.0 * slope * xi_one_minus_xi
                              + delta_low * (1.0 - xi) ** 2)
                    - 2.0 * jnp.log(denominator))
  if inverse:
    out = x_low + xi * bin_width
    log_derivative = -log_derivative
  else:
    out = y_low + bin_height * (slope * xi**2 + delta_low * xi_one_minus_xi) / denominator  # eq. 4
  return jnp.where(inside, out, x), jnp.where(inside, log_derivative, 0.0)
