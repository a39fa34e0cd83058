"""pix2pix's objective (Isola et al. 2017, eq. 4): G* = arg min_G max_D L_cGAN + lambda L_L1.

Per example, with D's logits on every patch of the (source, image) pair:

  discriminator: 1/2 mean_patches L_D(D(x, y), D(x, G(x)))   (the paper halves D's objective,
                 slowing D relative to G)
  generator:     w_adv mean_patches L_G(D(x, G(x))) + lambda mean_pixels |y - G(x)|

L_D, L_G a GAN loss of ``jaxgen.nn.adversarial``: ``non_saturating`` is the paper's (G maximises
log D(x, G(x)), Sec. 3.3), ``least_squares`` its code's LSGAN option. lambda = 100 (the paper's);
w_adv = 0 leaves the L1 regression alone, the paper's "L1" baseline.
"""

from typing import Callable, Dict, Optional

import jax
import jax.numpy as jnp

from jaxgen.nn import adversarial

LossFn = Callable[[jax.Array, jax.Array], tuple[jax.Array, jax.Array]]
ADVERSARIAL_LOSSES: Dict[str, LossFn] = {
    "non_saturating": adversarial.non_saturating,
    "least_squares": adversarial.least_squares,
}


def per_example_mean(x: jax.Array) -> jax.Array:
  """[B, ...] -> [B]: the mean over every axis but the batch's."""
  return jnp.mean(x.reshape(x.shape[0], -1), axis=1)


def l1_distance(translation: jax.Array, target: jax.Array) -> jax.Array:
  """Mean absolute difference per pixel of each pair: [B, H, W, C] -> [B]."""
  return per_example_mean(jnp.abs(translation - target))


def discriminator_loss(loss_fn: LossFn, real_logits: jax.Array,
                       fake_logits: jax.Array) -> jax.Array:
  """Half D's loss, averaged over patches: logits [B, P, Q] -> [B]."""
  d_loss, _ = loss_fn(real_logits, fake_logits)
  return 0.5 * per_example_mean(d_loss)


def generator_loss(loss_fn: LossFn, translation: jax.Array, target: jax.Array,
                   real_logits: Optional[jax.Array], fake_logits: Optional[jax.Array],
                   adversarial_weight: float, l1_weight: float):
  """-> (G's loss [B], its terms {"l1", "g_adversarial"}: [B]). translation, target:
  [B, H, W, C]; logits [B, P, Q], None without a discriminator (``adversarial_weight`` 0), when
  the loss is ``l1_weight`` * L1 exactly."""
  terms = {"l1": l1_distance(translation, target)}
  total = l1_weight * terms["l1"]
  if fake_logits is not None:
    _, g_loss = loss_fn(jax.lax.stop_gradient(real_logits), fake_logits)
    terms["g_adversarial"] = per_example_mean(g_loss)
    total = total + adversarial_weight * terms["g_adversarial"]
  return total, terms
