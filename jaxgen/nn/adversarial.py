"""Adversarial losses that more than one family uses (the GAN's registry names them; pix2pix's
conditional GAN trains with them): pure functions of the discriminator's logits on real and on
generated inputs, any shape (one per example, or one per patch of a PatchGAN),

  loss(real_logits, fake_logits) -> (discriminator_loss, generator_loss), both minimised.
"""

import jax
import jax.numpy as jnp


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
