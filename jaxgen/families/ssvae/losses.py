"""The bounds of M1+M2 (Kingma, Rezende, Mohamed & Welling 2014), per example, in nats.

M1 (section 3.1): the negative ELBO of a VAE, ``-log p(x|z1) + KL(q(z1|x) || N(0, I))``.
M2 (section 3.1.2) treats M1's code z1 as its data. For a class y,

    -L(z1, y) = -E_q(z2|z1,y)[log p(z1|y, z2)] + KL(q(z2|z1,y) || N(0, I)) - log p(y)   (eq. 6)

bounds -log p(z1, y); for an unlabelled example y is summed out under the classifier,

    -U(z1) = sum_y q(y|z1) (-L(z1, y)) - H(q(y|z1))                                   (eq. 7)

and a labelled example adds the classifier's cross-entropy (eq. 9). Shapes: [B] per example,
[B, Y] per example and class.
"""

import math

import jax
import jax.numpy as jnp

from jaxgen.nn.gaussian import diagonal_gaussian_log_prob, gaussian_kl


def m1_negative_elbo(log_likelihood: jax.Array, mean: jax.Array, log_std: jax.Array) -> jax.Array:
  """``-log p(x|z1) + KL(q(z1|x) || N(0, I))``, one reparameterized z1. [B], [B, K1] -> [B]."""
  return -log_likelihood + jnp.sum(gaussian_kl(mean, log_std), axis=-1)


def m2_negative_bounds(z1: jax.Array, posterior: tuple[jax.Array, jax.Array],
                       decoded: tuple[jax.Array, jax.Array]) -> jax.Array:
  """-L(z1, y) of eq. 6 for every class y, with one z2 ~ q(z2|z1,y) per class and p(y) uniform.

  z1: [B, K1]; posterior: (mean, log_std) of q(z2|z1,y), [Y, B, K2] each; decoded: (mean,
  log_std) of p(z1|y,z2) at that z2, [Y, B, K1] each -> [B, Y].
  """
  num_classes = posterior[0].shape[0]
  negative_bounds = (-diagonal_gaussian_log_prob(z1[None], *decoded)
                     + jnp.sum(gaussian_kl(*posterior), axis=-1) + math.log(num_classes))
  return negative_bounds.T


def unlabelled_negative_bound(logits: jax.Array, negative_bounds: jax.Array) -> jax.Array:
  """-U(z1) of eq. 7: ``sum_y q(y|z1) (-L(z1, y) + log q(y|z1))``, the entropy's sign folded
  in. logits of q(y|z1): [B, Y]; negative_bounds -L: [B, Y] -> [B]."""
  log_q = jax.nn.log_softmax(logits)
  return jnp.sum(jnp.exp(log_q) * (negative_bounds + log_q), axis=-1)


def cross_entropy(logits: jax.Array, labels: jax.Array) -> jax.Array:
  """``-log q(label|z1)``: [B, Y], [B] -> [B]; rows labelled -1 (unlabelled) read class 0."""
  log_q = jax.nn.log_softmax(logits)
  return -jnp.take_along_axis(log_q, jnp.maximum(labels, 0)[:, None], axis=1)[:, 0]


def semi_supervised_loss(logits: jax.Array, negative_bounds: jax.Array, labels: jax.Array,
                         classification_weight: float) -> tuple[jax.Array, jax.Array]:
  """M2's objective per example (eq. 9) and its bound without the classification term.

  A labelled row (label >= 0) costs ``-L(z1, y) + w * (-log q(y|z1))``, an unlabelled one
  (label -1) ``-U(z1)``. ``w`` is the paper's alpha per labelled example: the batch mean then
  estimates ``J^alpha / N`` of eq. 9 (see the experiment). logits, negative_bounds: [B, Y];
  labels: [B] -> (loss [B], negative bound [B]).
  """
  labelled = labels >= 0
  labelled_bound = jnp.take_along_axis(negative_bounds, jnp.maximum(labels, 0)[:, None], axis=1)
  bound = jnp.where(labelled, labelled_bound[:, 0],
                    unlabelled_negative_bound(logits, negative_bounds))
  classification = jnp.where(labelled, classification_weight * cross_entropy(logits, labels), 0.0)
  return bound + classification, bound
