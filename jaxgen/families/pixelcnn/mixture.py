"""A conditional PixelCNN as an unconditional model: the exact mixture over its conditions,

  ``P(x) = sum_c pi_c P(x | c)``  (a log-sum-exp over the C conditions),

trained on ``-log P(x | c(x))`` with each training image's own c. Two kinds of c:

- ``model.label_mixture``: the dataset's labels (trained with them, pi uniform over the classes);
  the test labels are not used.
- ``model.clusters = C``: the image's nearest of C k-means centroids of the training images (no
  labels at all; pi the clusters' shares of the training split). This is the hard-EM start of a
  mixture of PixelCNNs that share their weights, the component told by its embedding.
"""

import jax
import jax.numpy as jnp
import numpy as np


def kmeans(images: np.ndarray, num_clusters: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
  """k-means (Lloyd's, k-means++ starts, 10 restarts) of images [N, H, W, C] ->
  centroids float32 [C, H*W*C] and log pi float32 [C], pi_c the share of images nearest c."""
  from sklearn.cluster import KMeans  # Imported here: sklearn is slow to import.
  flat = np.asarray(images, np.float64).reshape(len(images), -1)
  fit = KMeans(num_clusters, n_init=10, random_state=seed).fit(flat)
  counts = np.bincount(fit.labels_, minlength=num_clusters)
  return fit.cluster_centers_.astype(np.float32), np.log(counts / counts.sum()).astype(np.float32)


def nearest(x: jax.Array, centroids: jax.Array) -> jax.Array:
  """The index of the nearest centroid (squared distance) of each image: x [B, H, W, C],
  centroids [C, D] -> int32 [B]."""
  flat = x.reshape(x.shape[0], -1)
  products = jnp.matmul(flat, centroids.T, precision=jax.lax.Precision.HIGHEST)
  distances = (jnp.sum(flat ** 2, axis=1, keepdims=True) - 2 * products
               + jnp.sum(centroids ** 2, axis=1))
  return jnp.argmin(distances, axis=1).astype(jnp.int32)


def log_mixture(log_probs: jax.Array, log_weights: jax.Array) -> jax.Array:
  """``log sum_c pi_c P(x | c)``: log_probs [C, B], log_weights [C] -> [B]."""
  return jax.nn.logsumexp(log_probs + log_weights[:, None], axis=0)
