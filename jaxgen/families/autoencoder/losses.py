"""Autoencoder objectives: a reconstruction loss by name plus optional penalties.

Every function returns per-example values ``[B]`` (sums over the data dimensions), so the
step decides how to reduce them. A reconstruction loss has the signature
``loss(logits, target, activation) -> [B]``; register a new one with ``@register_loss("name")``
or name it by dotted path (``loss.name = "my_package.losses:my_loss"``).
"""

from typing import Callable

import jax
import jax.numpy as jnp
import optax

from jaxgen.registry import Registry

LOSSES = Registry("autoencoder loss")
register_loss = LOSSES.register


def _sum_per_example(values: jax.Array) -> jax.Array:
  return values.reshape(values.shape[0], -1).sum(axis=1)


@register_loss("mse")
def mse(logits: jax.Array, target: jax.Array, activation: Callable) -> jax.Array:
  """Squared error ``sum_d (g(z)_d - x_d)^2`` of the activated reconstruction; ``[B]``."""
  return _sum_per_example(jnp.square(activation(logits) - target))


@register_loss("bce")
def bce(logits: jax.Array, target: jax.Array, activation: Callable) -> jax.Array:
  """Bernoulli cross-entropy ``-sum_d [x_d log p_d + (1 - x_d) log(1 - p_d)]``, p = sigmoid(logits).

  For targets in [0, 1] (soft targets allowed); computed from logits for stability. ``[B]``.
  """
  del activation  # The Bernoulli mean is always sigmoid(logits).
  return _sum_per_example(optax.sigmoid_binary_cross_entropy(logits, target))


def l1_sparsity(codes: jax.Array) -> jax.Array:
  """``||z||_1`` per example: the L1 sparse-autoencoder penalty. codes: [B, K] -> [B]."""
  return jnp.sum(jnp.abs(codes), axis=-1)


def kl_sparsity(codes: jax.Array, target_rate: float) -> jax.Array:
  """``sum_j KL(rho || rho_hat_j)`` with rho_hat_j the batch-mean activation of unit j.

  The sparse-autoencoder penalty of Ng's CS294A notes; codes must lie in (0, 1) (sigmoid).
  It is a property of the batch, so every example carries the same value. codes: [B, K] -> [B].
  """
  rho = target_rate
  rho_hat = jnp.clip(jnp.mean(codes, axis=0), 1e-6, 1 - 1e-6)
  kl = rho * jnp.log(rho / rho_hat) + (1 - rho) * jnp.log((1 - rho) / (1 - rho_hat))
  return jnp.full(codes.shape[:1], jnp.sum(kl))


def contractive_penalty(encode: Callable[[jax.Array], jax.Array], x: jax.Array) -> jax.Array:
  """``||df(x)/dx||_F^2`` per example (Rifai et al. 2011), the encoder Jacobian by reverse mode.

  encode: [B, *shape] -> [B, K]; x: [B, *shape] -> [B]. Reverse mode costs K backward passes,
  cheaper than forward mode when the code is smaller than the input.
  """
  def encode_one(example):
    return encode(example[None])[0]

  jacobians = jax.vmap(jax.jacrev(encode_one))(x)  # [B, K, *shape]
  return _sum_per_example(jnp.square(jacobians))
