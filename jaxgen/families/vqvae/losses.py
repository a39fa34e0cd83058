"""The VQ-VAE's terms per example, in nats (van den Oord et al. 2017, eq. 3 and Section 3.2).

Stage 1 minimizes ``-log p(x|z_q(x)) + beta ||z_e(x) - sg[e]||^2``: the reconstruction and the
commitment of the encoder to its codes, summed over the code map. Eq. 3's codebook term
``||sg[z_e(x)] - e||^2`` is replaced by the EMA updates of ``quantizer.py``, so no gradient
reaches the codes. Stage 2 minimizes the prior's ``-log p(c)`` of the frozen encoder's code map.

The bound: q(c|x) is one-hot at the encoder's nearest codes, so the ELBO is
``log p(x|z_q(c)) - KL(q || p) = log p(x|z_q(c)) + log p(c)`` (q's entropy is 0), and

    -log p(x) <= -log p(x|z_q(c)) - log p(c),

a bound on the discrete image's negative log-likelihood, read in bits/dim as the VAE's.
"""

import jax
import jax.numpy as jnp


def reconstruction_nll(log_prob: jax.Array) -> jax.Array:
  """``-log p(x|z_q)`` from the decoder's log-probabilities per value: [B, H, W, C] -> [B]."""
  return -jnp.sum(log_prob, axis=(1, 2, 3))


def commitment(z_e: jax.Array, z_q: jax.Array) -> jax.Array:
  """``||z_e - sg[z_q]||^2`` summed over the code map: [B, h, w, D] -> [B]. Its gradient moves
  the encoder towards its codes only."""
  return jnp.sum(jnp.square(z_e - jax.lax.stop_gradient(z_q)), axis=(1, 2, 3))


def code_nll(logits: jax.Array, codes: jax.Array) -> jax.Array:
  """``-log p(c) = -sum_p log softmax(logits_p)[c_p]``: logits [B, h, w, K], codes [B, h, w] int
  -> [B]."""
  log_p = jax.nn.log_softmax(logits, axis=-1)
  return -jnp.sum(jnp.take_along_axis(log_p, codes[..., None], axis=-1), axis=(1, 2, 3))
