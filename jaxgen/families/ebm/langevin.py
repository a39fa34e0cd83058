"""Short-run Langevin dynamics and the replay buffer of energy-based training.

Stochastic gradient Langevin dynamics on an energy E (Welling & Teh 2011):
``x <- x - (step_size / 2) grad E(x) + noise_std * xi``, xi ~ N(0, I). With
``noise_std = sqrt(step_size)`` it is the unadjusted Langevin algorithm, whose chains approach
``exp(-E)`` as the step shrinks (for a Gaussian energy of variance s^2 its stationary variance is
exactly ``s^2 / (1 - step_size / (4 s^2))``); EBM training usually takes a smaller noise (Du &
Mordatch 2019; Nijkamp et al. 2019: "short-run" chains), which ``noise_std`` allows.

The replay buffer (Du & Mordatch 2019) keeps past chains' ends: each step starts its chains from
the buffer, except a fraction ``reinit`` restarted from uniform noise over the data's box, and
writes their ends back.

Points [N, D] and images [N, H, W, C] go through the same functions: a box is an array of the
example's shape, and a restarted chain is restarted whole.
"""

import jax
import jax.numpy as jnp


def langevin(energy, x: jax.Array, rng: jax.Array, num_steps: int, step_size: float,
             noise_std: float) -> jax.Array:
  """``num_steps`` of SGLD from x [N, ...] on ``energy``: [N, ...] -> [N] (each chain its own
  energy; the gradient of their sum is each chain's gradient)."""
  grad = jax.grad(lambda x: jnp.sum(energy(x)))

  def step(x, key):
    return x - 0.5 * step_size * grad(x) + noise_std * jax.random.normal(key, x.shape), None

  x, _ = jax.lax.scan(step, x, jax.random.split(rng, num_steps))
  return x


def uniform(rng: jax.Array, num: int, low: jax.Array, high: jax.Array) -> jax.Array:
  """``num`` examples uniform in the box [low, high] (per coordinate, each of the example's shape
  [...]): [num, ...]."""
  return jax.random.uniform(rng, (num, *low.shape), minval=low, maxval=high)


def buffer_starts(buffer: jax.Array, rng: jax.Array, num: int, reinit: float, low: jax.Array,
                  high: jax.Array) -> tuple[jax.Array, jax.Array]:
  """-> (the buffer slots drawn [num], the chains' starts [num, ...]): slots uniformly at random,
  a fraction ``reinit`` of the starts replaced by uniform noise in the box."""
  slot_key, noise_key, reinit_key = jax.random.split(rng, 3)
  slots = jax.random.randint(slot_key, (num,), 0, buffer.shape[0])
  fresh = jax.random.uniform(reinit_key, (num,) + (1,) * (buffer.ndim - 1)) < reinit
  return slots, jnp.where(fresh, uniform(noise_key, num, low, high), buffer[slots])
