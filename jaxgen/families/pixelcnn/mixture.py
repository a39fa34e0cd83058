"""A conditional PixelCNN as an unconditional model: the exact mixture over its conditions,

  ``P(x) = sum_c pi_c P(x | c)``  (a log-sum-exp over the C conditions),

trained on ``-log P(x | c(x))`` with each training image's own c. Two kinds of c:

- ``model.label_mixture``: the dataset's labels (trained with them, pi uniform over the classes);
  the test labels are not used.
- ``model.clusters = C``: C clusters of the training images (no labels at all; pi the clusters'
  shares of the training split) by ``model.cluster_method`` (``CLUSTERINGS``): ``kmeans``, an image's
  cluster that of its nearest centroid; or ``ward``, agglomerative clustering with Ward's linkage,
  an image's cluster that of its nearest training image (itself, for a training image). This is
  the hard-EM start of a mixture of PixelCNNs that share their weights, the component told by its
  embedding.
"""

from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from jaxgen.core.registry import Registry

CLUSTERINGS = Registry("clustering")
EM_ITERS = 1000  # em_log_weights' steps (slow only where a weight heads to 0; a cheap [N, K] loop)


class Clustering(NamedTuple):
  """An image's cluster is that of its nearest reference point: points float32 [M, D], their
  clusters int32 [M], and log pi float32 [C], pi_c the share of the training images in c."""
  points: np.ndarray
  clusters: np.ndarray
  log_weights: np.ndarray


def _clustering(points: np.ndarray, clusters: np.ndarray, labels: np.ndarray,
                num_clusters: int) -> Clustering:
  """``Clustering`` of reference points and their clusters; labels [N]: the training images'."""
  counts = np.bincount(labels, minlength=num_clusters)
  return Clustering(points.astype(np.float32), clusters.astype(np.int32),
                    np.log(counts / counts.sum()).astype(np.float32))


@CLUSTERINGS.register("kmeans")
def kmeans(images: np.ndarray, num_clusters: int, seed: int) -> Clustering:
  """k-means (Lloyd's, k-means++ starts, 10 restarts) of images [N, H, W, C]; the reference points
  are the C centroids."""
  from sklearn.cluster import KMeans  # Imported here: sklearn is slow to import.
  flat = np.asarray(images, np.float64).reshape(len(images), -1)
  fit = KMeans(num_clusters, n_init=10, random_state=seed).fit(flat)
  return _clustering(fit.cluster_centers_, np.arange(num_clusters), fit.labels_, num_clusters)


@CLUSTERINGS.register("ward")
def ward(images: np.ndarray, num_clusters: int, seed: int) -> Clustering:
  """Agglomerative clustering of images [N, H, W, C] with Ward's linkage (each merge the least
  rise in within-cluster squared distance; deterministic, ``seed`` unused); the reference points
  are the N images themselves."""
  del seed
  from sklearn.cluster import AgglomerativeClustering  # Imported here: sklearn is slow to import.
  flat = np.asarray(images, np.float64).reshape(len(images), -1)
  labels = AgglomerativeClustering(num_clusters, linkage="ward").fit(flat).labels_
  return _clustering(flat, labels, labels, num_clusters)


def nearest(x: jax.Array, points: jax.Array) -> jax.Array:
  """The index of the nearest reference point (squared distance) of each image: x [B, H, W, C],
  points [M, D] -> int32 [B]."""
  flat = x.reshape(x.shape[0], -1)
  products = jnp.matmul(flat, points.T, precision=jax.lax.Precision.HIGHEST)
  distances = (jnp.sum(flat ** 2, axis=1, keepdims=True) - 2 * products
               + jnp.sum(points ** 2, axis=1))
  return jnp.argmin(distances, axis=1).astype(jnp.int32)


def assign(x: jax.Array, points: jax.Array, clusters: jax.Array) -> jax.Array:
  """The cluster of each image x [B, H, W, C]: that of its nearest reference point -> int32 [B]."""
  return clusters[nearest(x, points)]


def log_mixture(log_probs: jax.Array, log_weights: jax.Array) -> jax.Array:
  """``log sum_c pi_c P(x | c)``: log_probs [C, B], log_weights [C] -> [B]."""
  return jax.nn.logsumexp(log_probs + log_weights[:, None], axis=0)


def em_log_weights(log_probs: jax.Array, mask: jax.Array, num_iters: int = EM_ITERS) -> jax.Array:
  """The maximum-likelihood weights of a mixture of K fixed components, by EM (Dempster et al.
  1977): log_probs [N, K] the components' ``log P_k(x_n)``, mask [N] (1 for the examples that
  count) -> log w [K], from w uniform, each step

    ``r_nk = w_k P_k(x_n) / sum_j w_j P_j(x_n)``,   ``w_k <- sum_n m_n r_nk / sum_n m_n``,

  which never lowers ``sum_n m_n log sum_k w_k P_k(x_n)``. Rows with mask 0 (padding) never
  enter, not even as NaN."""
  count = jnp.maximum(jnp.sum(mask), 1.0)
  log_probs = jnp.where(mask[:, None] > 0, log_probs, 0.0)

  def step(_, log_w):
    log_r = log_probs + log_w
    log_r = log_r - jax.nn.logsumexp(log_r, axis=1, keepdims=True)
    return jnp.log(jnp.sum(jnp.exp(log_r) * mask[:, None], axis=0) / count)

  num = log_probs.shape[1]
  return jax.lax.fori_loop(0, num_iters, step, jnp.full((num,), -np.log(num), log_probs.dtype))
