"""CycleGAN's objective (Zhu et al. 2017, eq. 3 and Sec. 7.1), per example, with A the source
domain (edge maps) and B the target (images), G: A -> B, F: B -> A and PatchGANs D_A, D_B:

  generators:     L_G(D_B(G(a))) + L_G(D_A(F(b)))                       (least-squares GAN)
                  + lambda (|F(G(a)) - a| + |G(F(b)) - b|)               (cycle consistency)
                  + mu lambda (|G(b) - b| + |F(a) - a|)                  (identity, mu = 0.5)
  discriminators: L_D(D_A(a), D_A(F(b)')) + L_D(D_B(b), D_B(G(a)'))

with ' the image pool's draw of past translations (``pool``), means over patches and pixels,
lambda = 10. The least-squares losses are the official code's mean squared errors: D's
1/2 [(D(real) - 1)^2 + D(fake)^2] is ``adversarial.least_squares``'s L_D, and G's (D(fake) - 1)^2
is twice its L_G (Mao et al.'s 1/2 is not in the paper's eq. 1, against which lambda is set).
"""

from typing import Dict, Optional

import jax
import jax.numpy as jnp

from jaxgen.nn import adversarial


def per_example_mean(x: jax.Array) -> jax.Array:
  """[B, ...] -> [B]: the mean over every axis but the batch's."""
  return jnp.mean(x.reshape(x.shape[0], -1), axis=1)


def l1_distance(x: jax.Array, y: jax.Array) -> jax.Array:
  """Mean absolute difference per pixel of each pair: [B, H, W, C] -> [B]."""
  return per_example_mean(jnp.abs(x - y))


def discriminator_loss(real_logits: jax.Array, fake_logits: jax.Array) -> jax.Array:
  """One discriminator's least-squares loss, averaged over patches: logits [B, P, Q] -> [B]."""
  d_loss, _ = adversarial.least_squares(real_logits, fake_logits)
  return per_example_mean(d_loss)


def generator_adversarial_loss(fake_logits: jax.Array) -> jax.Array:
  """(D(G(x)) - 1)^2 averaged over patches: logits [B, P, Q] -> [B]."""
  _, g_loss = adversarial.least_squares(jnp.zeros_like(fake_logits), fake_logits)
  return 2.0 * per_example_mean(g_loss)


def generator_loss(a: jax.Array, b: jax.Array, cycled_a: jax.Array, cycled_b: jax.Array,
                   fake_a_logits: jax.Array, fake_b_logits: jax.Array,
                   identity_a: Optional[jax.Array], identity_b: Optional[jax.Array],
                   cycle_weight: float, identity_weight: float):
  """-> (both generators' loss [B], its terms {name: [B]}).

  a, cycled_a = F(G(a)), identity_a = F(a): [B, H, W, C_a]; b, cycled_b = G(F(b)),
  identity_b = G(b): [B, H, W, C_b]; fake_a_logits = D_A(F(b)), fake_b_logits = D_B(G(a)):
  [B, P, Q]. The identities are None when ``identity_weight`` is 0 (their terms are left out);
  ``identity_weight`` is mu, a fraction of ``cycle_weight`` (lambda).
  """
  terms = {"g_adversarial_a": generator_adversarial_loss(fake_a_logits),
           "g_adversarial_b": generator_adversarial_loss(fake_b_logits),
           "cycle_a": l1_distance(cycled_a, a),
           "cycle_b": l1_distance(cycled_b, b)}
  total = (terms["g_adversarial_a"] + terms["g_adversarial_b"]
           + cycle_weight * (terms["cycle_a"] + terms["cycle_b"]))
  if identity_weight > 0:
    terms["identity_a"] = l1_distance(identity_a, a)
    terms["identity_b"] = l1_distance(identity_b, b)
    total = total + identity_weight * cycle_weight * (terms["identity_a"] + terms["identity_b"])
  return total, terms


def discriminators_loss(real_a_logits: jax.Array, fake_a_logits: jax.Array,
                        real_b_logits: jax.Array, fake_b_logits: jax.Array):
  """-> (D_A's loss + D_B's [B], the terms {"d_a", "d_b"}: [B]); logits [B, P, Q], the fakes the
  pool's. Their parameters are disjoint: the sum's gradient is each one's own."""
  terms: Dict[str, jax.Array] = {"d_a": discriminator_loss(real_a_logits, fake_a_logits),
                                 "d_b": discriminator_loss(real_b_logits, fake_b_logits)}
  return terms["d_a"] + terms["d_b"], terms
