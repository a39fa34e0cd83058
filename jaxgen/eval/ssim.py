"""Structural similarity (SSIM; Wang, Bovik, Sheikh & Simoncelli 2004) and PSNR of image pairs.

SSIM as the paper's reference implementation (``ssim_index.m``): local means, variances and the
covariance under an 11x11 Gaussian window of standard deviation 1.5, at every position where
the window lies inside the image ("valid"), combined as

  SSIM = (2 mu_x mu_y + C1)(2 sigma_xy + C2) / ((mu_x^2 + mu_y^2 + C1)(sigma_x^2 + sigma_y^2 + C2)),

C1 = (0.01 L)^2, C2 = (0.03 L)^2 with L the data range, and averaged over positions and channels.
The window is separable, so the filtering is two matrix products with a banded [H - 10, H]
matrix of the 1-D window: pure jax.numpy, usable inside a jitted evaluation step.
"""

import jax
import jax.numpy as jnp
import numpy as np

from jaxgen.errors import DataError

WINDOW_SIZE = 11
WINDOW_SIGMA = 1.5
K1, K2 = 0.01, 0.03


def gaussian_window(size: int = WINDOW_SIZE, sigma: float = WINDOW_SIGMA) -> np.ndarray:
  """The normalised 1-D Gaussian [size]; the 2-D window is its outer product."""
  offsets = np.arange(size) - (size - 1) / 2
  weights = np.exp(-offsets ** 2 / (2 * sigma ** 2))
  return weights / weights.sum()


def _valid_filter_matrix(length: int, window: np.ndarray) -> np.ndarray:
  """[length - size + 1, length]: row i holds the window at columns i .. i + size - 1."""
  size = len(window)
  if length < size:
    raise DataError(f"SSIM's {size}x{size} window needs images of at least {size} pixels a "
                     f"side; got {length}")
  rows = np.zeros((length - size + 1, length))
  for i in range(len(rows)):
    rows[i, i:i + size] = window
  return rows


def ssim(x: jax.Array, y: jax.Array, data_range: float = 1.0) -> jax.Array:
  """Mean SSIM of each pair: x, y [B, H, W, C] -> [B] (1 for identical images)."""
  window = gaussian_window()
  rows = jnp.asarray(_valid_filter_matrix(x.shape[1], window), x.dtype)
  cols = jnp.asarray(_valid_filter_matrix(x.shape[2], window), x.dtype)
  local_mean = lambda z: jnp.einsum("ih,bhwc,jw->bijc", rows, z, cols)
  mu_x, mu_y = local_mean(x), local_mean(y)
  var_x = local_mean(x * x) - mu_x ** 2
  var_y = local_mean(y * y) - mu_y ** 2
  cov_xy = local_mean(x * y) - mu_x * mu_y
  c1, c2 = (K1 * data_range) ** 2, (K2 * data_range) ** 2
  luminance = (2 * mu_x * mu_y + c1) / (mu_x ** 2 + mu_y ** 2 + c1)
  structure = (2 * cov_xy + c2) / (var_x + var_y + c2)
  return jnp.mean(luminance * structure, axis=(1, 2, 3))


def psnr(x: jax.Array, y: jax.Array, data_range: float = 1.0) -> jax.Array:
  """Peak signal-to-noise ratio in dB of each pair, ``10 log10(L^2 / MSE)``: [B, ...] -> [B]
  (infinite for identical images)."""
  mse = jnp.mean(jnp.square(x - y).reshape(x.shape[0], -1), axis=1)
  return 10.0 * jnp.log10(data_range ** 2 / mse)
