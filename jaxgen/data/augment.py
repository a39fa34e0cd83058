"""Classical image augmentation for classifiers: a random shift and small rotation composed with
an elastic distortion (Simard et al. 2003), one bilinear resampling per image.

Sizes are those of 28x28 MNIST work scaled to the image's height H: shifts up to 2 H / 28
pixels, rotations up to 10 degrees, and the elastic field of Simard et al. (uniform
displacements in [-1, 1] smoothed by a Gaussian of sigma 4 H / 28 pixels, times alpha
34 (H / 28)^2: smoothing divides the field by about sigma, so alpha grows as H^2 for
displacements that grow as H, about 1.4 pixels at 28x28 and 0.4 at 8x8).
Every draw is keyed by (seed, purpose, epoch, index), as ``transforms`` keys its noise.
"""

import numpy as np

MAX_SHIFT_28 = 2.0  # pixels at H = 28
MAX_ROTATION_DEGREES = 10.0
ELASTIC_SIGMA_28 = 4.0
ELASTIC_ALPHA_28 = 34.0


def classical(images: np.ndarray, uniforms) -> np.ndarray:
  """images: float32 [b, H, W, C] in [0, 1] -> the same shape, each image shifted, rotated and
  elastically distorted, with 0 (background) where the source falls outside.

  ``uniforms(shape)`` -> U[0, 1) float32 [b, *shape], one keyed row per image."""
  from scipy import ndimage  # Imported here: only augmenting runs pay for it.

  b, height, width, channels = images.shape
  scale = height / 28.0
  affine = uniforms((3,)) * 2 - 1  # shift y, shift x, angle: each in [-1, 1)
  field = uniforms((2, height, width)) * 2 - 1
  sigma, alpha = ELASTIC_SIGMA_28 * scale, ELASTIC_ALPHA_28 * scale**2
  rows, cols = np.meshgrid(np.arange(height, dtype=np.float32),
                           np.arange(width, dtype=np.float32), indexing="ij")
  centre_y, centre_x = (height - 1) / 2, (width - 1) / 2
  out = np.empty_like(images)
  for i in range(b):
    angle = np.deg2rad(MAX_ROTATION_DEGREES) * affine[i, 2]
    shift = MAX_SHIFT_28 * scale * affine[i, :2]
    dy = alpha * ndimage.gaussian_filter(field[i, 0], sigma, mode="constant")
    dx = alpha * ndimage.gaussian_filter(field[i, 1], sigma, mode="constant")
    # Each output pixel reads the source at the inverse rotation of its offset from the centre,
    # minus the shift, plus the elastic displacement.
    y, x = rows - centre_y - shift[0], cols - centre_x - shift[1]
    source_y = np.cos(angle) * y + np.sin(angle) * x + centre_y + dy
    source_x = -np.sin(angle) * y + np.cos(angle) * x + centre_x + dx
    for c in range(channels):
      out[i, :, :, c] = ndimage.map_coordinates(images[i, :, :, c], [source_y, source_x],
                                                order=1, mode="constant", cval=0.0)
  return np.clip(out, 0.0, 1.0)
