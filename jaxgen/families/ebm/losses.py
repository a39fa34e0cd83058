"""The energy-based family's objectives, pure functions of energies and logits.

  contrastive_divergence(e_pos [B], e_neg [B], alpha) -> scalar
      E(x+) - E(x-) + alpha (E(x+)^2 + E(x-)^2), batch means (Du & Mordatch 2019): its gradient
      lowers the energy of data and raises that of the negatives; the regulariser keeps the
      energies near 0.
  jem_energy(logits [B, K]) -> [B]
      E(x) = -logsumexp_y f(x)[y] (Grathwohl et al. 2020), the marginal of E(x, y) = -f(x)[y].
  cross_entropy(logits [B, K], labels [B]) -> [B]
      -log p(y|x), p(y|x) = softmax(f(x)): JEM's classifier term, in nats.
"""

import jax
import jax.numpy as jnp


def contrastive_divergence(e_pos: jax.Array, e_neg: jax.Array, alpha: float) -> jax.Array:
  regulariser = alpha * jnp.mean(e_pos**2 + e_neg**2)
  return jnp.mean(e_pos) - jnp.mean(e_neg) + regulariser


def jem_energy(logits: jax.Array) -> jax.Array:
  return -jax.nn.logsumexp(logits, axis=-1)


def cross_entropy(logits: jax.Array, labels: jax.Array) -> jax.Array:
  return -jnp.take_along_axis(jax.nn.log_softmax(logits), labels[:, None], axis=1)[:, 0]
