"""Diagonal Gaussians of the latent-variable models (the VAE, M1+M2): the reparameterized draw,
log-densities and the KL to N(0, I), with the shapes each family uses."""

import math

import jax
import jax.numpy as jnp

LOG_2PI = math.log(2.0 * math.pi)


def reparameterize(mean: jax.Array, log_std: jax.Array, noise: jax.Array) -> jax.Array:
  """``z = mean + exp(log_std) * noise``, noise ~ N(0, I) (Kingma & Welling 2014, eq. 13).

  mean, log_std: [..., K] broadcasting against noise [..., K]. z is a differentiable function of
  (mean, log_std), which is what makes the ELBO's gradient a low-variance pathwise estimate.
  """
  return mean + jnp.exp(log_std) * noise


def diagonal_gaussian_log_prob(z: jax.Array, mean: jax.Array, log_std: jax.Array) -> jax.Array:
  """``log N(z; mean, diag(exp(2 log_std)))`` summed over the last axis. [..., K] -> [...]."""
  standardized = (z - mean) * jnp.exp(-log_std)
  return -0.5 * jnp.sum(jnp.square(standardized) + 2.0 * log_std + LOG_2PI, axis=-1)


def standard_normal_log_prob(z: jax.Array) -> jax.Array:
  """``log N(z; 0, I)`` summed over the last axis: the prior p(z). [..., K] -> [...]."""
  return -0.5 * jnp.sum(jnp.square(z) + LOG_2PI, axis=-1)


def gaussian_kl(mean: jax.Array, log_std: jax.Array) -> jax.Array:
  """Per-unit ``KL(N(mean, s^2) || N(0, 1)) = (mean^2 + s^2 - 1) / 2 - log s``, s = exp(log_std).

  The analytic KL of Kingma & Welling 2014, Appendix B. [..., K] -> [..., K] (sum over K for the
  total; free bits needs the units separately).
  """
  return 0.5 * (jnp.square(mean) + jnp.exp(2.0 * log_std) - 1.0) - log_std
