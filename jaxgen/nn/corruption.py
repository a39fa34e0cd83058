"""Input corruptions: the denoising autoencoder's training noise, and the noisy inputs the VAE's
denoising grid shows."""

import jax

def corrupt(x: jax.Array, rng: jax.Array, kind: str, level: float) -> jax.Array:
  """The denoising autoencoder's corruption C(x~|x) (Vincent et al. 2008).

  ``gaussian``: x + level * N(0, I); ``masking``: each value set to 0 with probability
  ``level``; ``""``: no corruption.
  """
  if kind == "gaussian":
    return x + level * jax.random.normal(rng, x.shape, x.dtype)
  if kind == "masking":
    return x * jax.random.bernoulli(rng, 1.0 - level, x.shape).astype(x.dtype)
  return x


NOISE_KINDS = ("", "gaussian", "masking")
