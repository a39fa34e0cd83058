"""Adversarial losses that more than one family uses (the GAN's registry names them; pix2pix's
conditional GAN trains with them): pure functions of the discriminator's logits on real and on
generated inputs, any shape (one per example, or one per patch of a PatchGAN),

  loss(real_logits, fake_logits) -> (discriminator_loss, generator_loss), both minimised,

and the penalties on the discriminator's input gradients (WGAN-GP, R1, R2) that the GAN family and
the StyleGAN2 and ProGAN families add to them.
"""

from typing import Callable, Optional

import jax
import jax.numpy as jnp

Critic = Callable[[jax.Array, Optional[jax.Array]], jax.Array]  # (x [B, ...], labels) -> [B]


def non_saturating(real_logits: jax.Array, fake_logits: jax.Array) -> tuple[jax.Array, jax.Array]:
  """Goodfellow et al. 2014's non-saturating generator loss (Sec. 3), D's loss as minimax:

  L_D = softplus(-r) + softplus(f),  L_G = -log D(G(z)) = softplus(-f).
  """
  return jax.nn.softplus(-real_logits) + jax.nn.softplus(fake_logits), jax.nn.softplus(-fake_logits)


def least_squares(real_logits: jax.Array, fake_logits: jax.Array) -> tuple[jax.Array, jax.Array]:
  """LSGAN (Mao et al. 2017, eq. 2) with the 0-1 coding a = 0, b = c = 1:

  L_D = 1/2 (r - 1)^2 + 1/2 f^2,  L_G = 1/2 (f - 1)^2.
  """
  return 0.5 * jnp.square(real_logits - 1.0) + 0.5 * jnp.square(fake_logits), \
      0.5 * jnp.square(fake_logits - 1.0)


def wasserstein(real_logits: jax.Array, fake_logits: jax.Array) -> tuple[jax.Array, jax.Array]:
  """WGAN (Arjovsky et al. 2017, Algorithm 1): a critic f kept K-Lipschitz by weight clipping,

  L_D = f(G(z)) - f(x),  L_G = -f(G(z)).

  -mean(L_D) estimates K times the Wasserstein-1 distance between data and samples.
  """
  return fake_logits - real_logits, -fake_logits


def input_gradients(critic: Critic, x: jax.Array, labels: Optional[jax.Array],
                    per_example: bool = True) -> jax.Array:
  """Gradients ``grad_x D(x_i, y_i)``: [B, ...].

  ``per_example``: ``vmap`` of ``grad`` over examples, so a discriminator that mixes examples
  (batch norm) cannot leak one example's gradient into another's (the GAN family refuses batch
  norm with these penalties). Otherwise the gradient of the batch's summed outputs, as StyleGAN's
  and ProGAN's reference code: for a discriminator whose minibatch standard deviation must see
  its groups, where an example alone would be a group of one.
  """
  if not per_example:
    return jax.grad(lambda x: jnp.sum(critic(x, labels)))(x)

  def one(x_i, y_i):
    return critic(x_i[None], None if y_i is None else y_i[None])[0]

  return jax.vmap(jax.grad(one))(x, labels)


def squared_norms(gradients: jax.Array) -> jax.Array:
  """gradients: [B, ...] -> their squared norms per example, [B]."""
  return jnp.sum(jnp.square(gradients.reshape(gradients.shape[0], -1)), axis=1)


def gradient_penalty(critic: Critic, real: jax.Array, fake: jax.Array,
                     labels: Optional[jax.Array], rng: jax.Array,
                     per_example: bool = True) -> jax.Array:
  """WGAN-GP's penalty (Gulrajani et al. 2017, eq. 3) per example: [B].

  ``(||grad_x D(x_hat)||_2 - 1)^2`` at ``x_hat = eps x + (1 - eps) x~``, eps ~ U[0, 1] drawn per
  example, x real and x~ generated (their labels are the same: the generator is conditioned on
  the real batch's labels). ``per_example``: as ``input_gradients``.
  """
  eps = jax.random.uniform(rng, (real.shape[0],) + (1,) * (real.ndim - 1), real.dtype)
  interpolates = eps * real + (1.0 - eps) * fake
  norms = jnp.sqrt(squared_norms(input_gradients(critic, interpolates, labels, per_example)))
  return jnp.square(norms - 1.0)


def gradient_norm_penalty(critic: Critic, x: jax.Array, labels: Optional[jax.Array]) -> jax.Array:
  """``1/2 ||grad_x D(x)||^2`` per example: [B]. On real data it is R1, on samples R2.

  Mescheder et al. 2018, eq. 9: R1 = gamma/2 E_data ||grad D||^2, so ``loss.r1_weight`` is gamma.
  """
  return 0.5 * squared_norms(input_gradients(critic, x, labels))
