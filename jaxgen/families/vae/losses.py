"""VAE objectives by name: ``elbo``, ``beta_elbo``, ``iwae``; KL warm-up and free bits.

A loss has the signature ``loss(terms, kl_weight, c) -> (per_example [B], aux {name: [B]})``:
``terms`` holds the Monte Carlo terms of S posterior samples per example (``Terms``),
``kl_weight`` the KL warm-up factor of this step (1 after warm-up, and at evaluation), ``c`` the
config's ``loss`` group. Register a new one with ``@register_loss("name")`` or name it by dotted
path (``loss.name = "my_package.losses:my_loss"``). Every aux term is per example, in nats.
"""

from typing import Dict

import flax
import jax
import jax.numpy as jnp
import ml_collections

from jaxgen import eval as eval_lib
from jaxgen.registry import Registry

LOSSES = Registry("VAE loss")
register_loss = LOSSES.register


@flax.struct.dataclass
class Terms:
  """S posterior samples z_s ~ q(z|x) for each of B examples (K latent units)."""
  log_likelihood: jax.Array  # [S, B] log p(x | z_s)
  log_prior: jax.Array  # [S, B] log p(z_s)
  log_posterior: jax.Array  # [S, B] log q(z_s | x)
  kl_per_unit: jax.Array  # [B, K] analytic KL(q(z_u | x) || p(z_u))

  @property
  def log_weights(self) -> jax.Array:
    """``log w_s = log p(x, z_s) - log q(z_s | x)``: [S, B]."""
    return self.log_likelihood + self.log_prior - self.log_posterior


def kl_warmup(step: jax.Array, warmup_steps: int) -> jax.Array:
  """The KL weight ``min(1, step / warmup_steps)`` of linear KL annealing (Bowman et al. 2016;
  Sonderby et al. 2016); 1 throughout when ``warmup_steps`` is 0."""
  if warmup_steps <= 0:
    return jnp.ones((), jnp.float32)
  return jnp.minimum(1.0, step.astype(jnp.float32) / warmup_steps)


def free_bits_kl(kl_per_unit: jax.Array, free_bits: float) -> jax.Array:
  """``sum_u max(lambda, E_batch[KL_u])`` as per-example values: free bits (Kingma et al. 2016,
  IAF, eq. 15, one group per latent unit). [B, K] -> [B].

  A unit whose batch-mean KL is below ``lambda`` nats costs a constant ``lambda`` (no gradient
  pushes it further towards the prior); the others cost their KL. Like every batch statistic
  the clamp is over the global batch. ``free_bits`` 0 gives the plain KL.
  """
  if free_bits <= 0:
    return jnp.sum(kl_per_unit, axis=-1)
  below = jnp.mean(kl_per_unit, axis=0) < free_bits
  return jnp.sum(jnp.where(below, free_bits, kl_per_unit), axis=-1)


def _reported_terms(terms: Terms) -> Dict[str, jax.Array]:
  """``recon_error = -1/S sum_s log p(x|z_s)``, ``kl``, and ``elbo = -(recon_error + kl)``."""
  recon_error = -jnp.mean(terms.log_likelihood, axis=0)
  kl = jnp.sum(terms.kl_per_unit, axis=-1)
  return {"recon_error": recon_error, "kl": kl, "elbo": -(recon_error + kl)}


def _negative_elbo(terms: Terms, kl_coefficient: jax.Array, free_bits: float):
  aux = _reported_terms(terms)
  return aux["recon_error"] + kl_coefficient * free_bits_kl(terms.kl_per_unit, free_bits), aux


@register_loss("elbo")
def elbo(terms: Terms, kl_weight: jax.Array, c: ml_collections.ConfigDict):
  """Negative evidence lower bound (Kingma & Welling 2014, eq. 10, the analytic-KL estimator):

      -L(x) = -1/S sum_s log p(x | z_s) + KL(q(z|x) || N(0, I)),   z_s ~ q(z|x),

  with the KL times the warm-up weight and under free bits (``loss.free_bits``) when set.
  """
  return _negative_elbo(terms, kl_weight, c.free_bits)


@register_loss("beta_elbo")
def beta_elbo(terms: Terms, kl_weight: jax.Array, c: ml_collections.ConfigDict):
  """beta-VAE objective (Higgins et al. 2017, eq. 4): ``-E_q[log p(x|z)] + beta KL(q(z|x) || p(z))``.

  beta > 1 trades reconstruction for a posterior closer to the factorised prior
  (``loss.beta``); warm-up and free bits apply as in ``elbo``.
  """
  return _negative_elbo(terms, c.beta * kl_weight, c.free_bits)


@register_loss("iwae")
def iwae(terms: Terms, kl_weight: jax.Array, c: ml_collections.ConfigDict):
  """Negative importance-weighted bound (Burda et al. 2016, eq. 8) over S = ``loss.num_samples``:

      -L_S(x) = -log 1/S sum_s p(x, z_s) / q(z_s | x),   z_s ~ q(z|x),

  tighter than the ELBO for S > 1 and equal to it (single-sample estimate) for S = 1. During
  KL warm-up the weights are tempered, ``log p(x|z_s) + kl_weight (log p(z_s) - log q(z_s|x))``.
  """
  log_weights = terms.log_likelihood + kl_weight * (terms.log_prior - terms.log_posterior)
  bound = eval_lib.iwae_bound(log_weights, axis=0)
  return -bound, {**_reported_terms(terms), "iwae_bound": bound}
