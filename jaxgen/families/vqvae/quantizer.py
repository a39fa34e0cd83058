"""Vector quantization with an EMA codebook (van den Oord et al. 2017, Section 3.1 and Appendix A.1;
Sonnet's ``VectorQuantizerEMA``) and restarts of dead codes.

An encoder output z_e is replaced by its nearest code e_k; the straight-through estimator copies
the decoder's gradient from z_q to z_e (``quantize``). The codebook is no parameter: it follows
the encoder outputs assigned to each code by exponential moving averages of their count and sum
(``ema_update``), which replace eq. 3's codebook loss, so it lives in ``TrainState.model_state``:

    ``cluster_size``  [K]     EMA of the number of batch vectors assigned to each code
    ``code_sum``      [K, D]  EMA of their sum

and the codes are ``code_sum / N_k`` with N_k the cluster sizes Laplace-smoothed so that no code
divides by zero (``codebook``). A code whose EMA usage falls below a threshold is dead: it is
re-seeded at an encoder output of the current batch, as if chosen once there (``restart_dead``).
Shapes: flat vectors [N, D], indices [N].
"""

from typing import Dict

import jax
import jax.numpy as jnp

Statistics = Dict[str, jax.Array]  # {"cluster_size": [K], "code_sum": [K, D]}


def seeded_statistics(vectors: jax.Array, num_codes: int, rng: jax.Array) -> Statistics:
  """Statistics of ``num_codes`` codes at encoder outputs drawn from ``vectors`` [N, D] (with
  replacement only when N < K), each as if chosen once there."""
  num_vectors = vectors.shape[0]
  picks = jax.random.choice(rng, num_vectors, (num_codes,), replace=num_vectors < num_codes)
  return {"cluster_size": jnp.ones((num_codes,), vectors.dtype), "code_sum": vectors[picks]}


def codebook(statistics: Statistics, epsilon: float) -> jax.Array:
  """The codes [K, D]: ``code_sum_k / N_k`` with the cluster sizes Laplace-smoothed,
  ``N_k = (n_k + eps) / (n + K eps) * n``, n = sum_k n_k (their total is kept)."""
  sizes = statistics["cluster_size"]
  total = jnp.sum(sizes)
  smoothed = (sizes + epsilon) / (total + sizes.shape[0] * epsilon) * total
  return statistics["code_sum"] / smoothed[:, None]


def nearest(vectors: jax.Array, codes: jax.Array) -> jax.Array:
  """The index of the nearest code (Euclidean) of each vector: [N, D], [K, D] -> [N] int32."""
  distances = (jnp.sum(vectors**2, axis=1, keepdims=True) - 2.0 * vectors @ codes.T
               + jnp.sum(codes**2, axis=1)[None, :])
  return jnp.argmin(distances, axis=1).astype(jnp.int32)


def quantize(z_e: jax.Array, codes: jax.Array) -> tuple[jax.Array, jax.Array]:
  """z_e: [..., D] -> (z_q [..., D], indices [...]): the nearest codes, with the straight-through
  gradient ``z_q = z_e + sg(e - z_e)`` (d z_q / d z_e = I; the codes get no gradient)."""
  indices = nearest(z_e.reshape(-1, z_e.shape[-1]), codes).reshape(z_e.shape[:-1])
  return z_e + jax.lax.stop_gradient(codes[indices] - z_e), indices


def ema_update(statistics: Statistics, vectors: jax.Array, indices: jax.Array,
               decay: float) -> Statistics:
  """One EMA step of the statistics towards the batch's assignments: vectors [N, D] assigned to
  codes ``indices`` [N]; ``stat <- decay * stat + (1 - decay) * batch value``."""
  num_codes = statistics["cluster_size"].shape[0]
  counts = jax.ops.segment_sum(jnp.ones_like(indices, vectors.dtype), indices, num_codes)
  sums = jax.ops.segment_sum(vectors, indices, num_codes)
  return {"cluster_size": decay * statistics["cluster_size"] + (1.0 - decay) * counts,
          "code_sum": decay * statistics["code_sum"] + (1.0 - decay) * sums}


def restart_dead(statistics: Statistics, vectors: jax.Array, threshold: float,
                 rng: jax.Array) -> tuple[Statistics, jax.Array]:
  """Codes whose EMA usage (``cluster_size``, assignments per batch) is below ``threshold`` are
  re-seeded at vectors [N, D] of the batch drawn at random. -> (statistics, number restarted)."""
  fresh = seeded_statistics(vectors, statistics["cluster_size"].shape[0], rng)
  dead = statistics["cluster_size"] < threshold
  restarted = {name: jnp.where(dead.reshape(-1, *[1] * (value.ndim - 1)), fresh[name], value)
               for name, value in statistics.items()}
  return restarted, jnp.sum(dead)


def perplexity(indices: jax.Array, num_codes: int) -> jax.Array:
  """``exp(H)`` of the codes' frequencies among ``indices`` (any shape): K when every code is
  used equally, 1 when one code takes all."""
  frequencies = jnp.bincount(indices.reshape(-1), length=num_codes) / indices.size
  return jnp.exp(-jnp.sum(jax.scipy.special.xlogy(frequencies, frequencies)))
