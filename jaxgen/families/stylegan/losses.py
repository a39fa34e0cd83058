"""StyleGAN2's regularisers (Karras et al. 2020, Sec. 3.2, 4 and App. B). The adversarial loss is
the non-saturating logistic one of ``jaxgen.nn.adversarial``.

Both run lazily, every few minibatches, as their own optimizer steps with the penalty multiplied
by the interval (the experiment). Per-example values are [B].
"""

from typing import Callable

import jax
import jax.numpy as jnp

from jaxgen.nn import adversarial

Critic = Callable[[jax.Array], jax.Array]  # images [B, H, W, C] -> logits [B]
Synthesis = Callable[[jax.Array], jax.Array]  # ws [B, L, w_dim] -> images [B, H, W, C]


def r1_penalty(critic: Critic, real: jax.Array) -> jax.Array:
  """R1 (Mescheder et al. 2018, eq. 9) before its gamma / 2: ``||grad_{x_b} sum_i D(x_i)||^2``
  per example, [B]: the gradient of the batch's summed logits, as the reference, since the
  minibatch standard deviation makes every logit depend a little on its group's other examples.
  """
  return adversarial.squared_norms(
      adversarial.input_gradients(lambda x, _: critic(x), real, None, per_example=False))


def path_lengths(synthesize: Synthesis, ws: jax.Array, rng: jax.Array) -> jax.Array:
  """``||J_w^T y||_2`` per example, [B] (the 2020 paper's eq. 4): J_w the Jacobian of the image
  with respect to w, y ~ N(0, I) / sqrt(H W) an image of noise.

  ``J^T y`` is one vector-Jacobian product. With w given per layer (ws [B, L, w_dim]), its squared
  norm is averaged over the L layers, as the reference code: a w broadcast to every layer then
  gets the mean of its per-layer Jacobians' lengths. ``synthesize`` must not mix examples.
  """
  images, pullback = jax.vjp(synthesize, ws)
  y = jax.random.normal(rng, images.shape, images.dtype) / jnp.sqrt(
      images.shape[1] * images.shape[2])
  (gradients,) = pullback(y)
  return jnp.sqrt(jnp.mean(jnp.sum(jnp.square(gradients), axis=2), axis=1))


def path_length_penalty(lengths: jax.Array, pl_mean: jax.Array,
                        decay: float) -> tuple[jax.Array, jax.Array]:
  """``(||J_w^T y|| - a)^2`` per example [B] and the updated a (a scalar).

  a is the running mean of the lengths, ``a <- a + decay (mean(lengths) - a)``, updated with this
  batch before the penalty is taken (the reference code) and held constant in its gradient.
  """
  pl_mean = pl_mean + decay * (jnp.mean(jax.lax.stop_gradient(lengths)) - pl_mean)
  return jnp.square(lengths - pl_mean), pl_mean
