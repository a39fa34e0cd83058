"""A user's own GAN loss, trained by dotted path without touching jaxgen (docs/extending.md).

  PYTHONPATH=docs/examples jaxgen train --config experiments/gan_ring8.py:smoke \
      --workdir runs/ragan_smoke --config.loss.name=my_losses:relativistic_average
"""

import jax
import jax.numpy as jnp


def relativistic_average(real_logits: jax.Array, fake_logits: jax.Array) -> tuple[jax.Array, jax.Array]:
  """The relativistic average standard GAN (RaSGAN; Jolicoeur-Martineau 2018, eq. 7-8).

  D estimates how much more realistic a real sample is than the average fake one, and the
  other way round; with r real and f fake logits, each of shape [B]:

    L_D = -log sigmoid(r - mean f) - log(1 - sigmoid(f - mean r))
        = softplus(-(r - mean f)) + softplus(f - mean r),
    L_G = softplus(-(f - mean r)) + softplus(r - mean f).

  Returns (d_loss [B], g_loss [B]): per example, as every jaxgen loss; the runner's step takes
  their means. Both terms of L_G carry gradient to G (the real term through mean f).
  """
  real_vs_fake = real_logits - jnp.mean(fake_logits)
  fake_vs_real = fake_logits - jnp.mean(real_logits)
  d_loss = jax.nn.softplus(-real_vs_fake) + jax.nn.softplus(fake_vs_real)
  g_loss = jax.nn.softplus(-fake_vs_real) + jax.nn.softplus(real_vs_fake)
  return d_loss, g_loss
