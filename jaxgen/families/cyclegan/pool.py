"""The image pool (Shrivastava et al. 2017; CycleGAN Sec. 4): a discriminator trains on a mix of
the current translations and up to ``size`` past ones, so that it does not chase the
generator's latest move. As the official code's ``ImagePool``, one image at a time in batch order:

  while the pool holds fewer than ``size`` images: store the image, return it;
  then, with probability 1/2: return a stored image at a uniform slot and store the new one in
                              its place; otherwise return the new image.

The pool is a dict of arrays ({"images": [size, H, W, C], "count": int32, stored so far}) kept in
``TrainState.model_state``, so a checkpoint holds it and a resumed run draws from the same pool.
"""

from typing import Dict, Tuple

import jax
import jax.numpy as jnp

Pool = Dict[str, jax.Array]


def empty(size: int, shape: Tuple[int, ...]) -> Pool:
  """A pool of ``size`` slots for images of ``shape`` (H, W, C), none stored."""
  return {"images": jnp.zeros((size, *shape), jnp.float32), "count": jnp.zeros((), jnp.int32)}


def draws(rng: jax.Array, num: int, size: int) -> Tuple[jax.Array, jax.Array]:
  """The coins of ``num`` queries of a full pool: (take a stored image: bool [num], its slot:
  int32 [num], uniform over ``size``)."""
  coin_key, slot_key = jax.random.split(rng)
  return (jax.random.bernoulli(coin_key, 0.5, (num,)),
          jax.random.randint(slot_key, (num,), 0, size))


def query(pool: Pool, images: jax.Array, take_stored: jax.Array,
          slots: jax.Array) -> Tuple[Pool, jax.Array]:
  """images: [B, H, W, C] -> (the updated pool, the images D trains on [B, H, W, C]), with
  ``draws``'s coins [B] (read only once the pool is full)."""
  size = pool["images"].shape[0]

  def one(pool, inputs):
    image, take, slot = inputs
    stored, count = pool["images"], pool["count"]
    filling = count < size
    swap = ~filling & take
    returned = jnp.where(swap, stored[slot], image)
    target = jnp.where(filling, count, slot)
    kept = jnp.where(filling | swap, image, stored[target])
    return {"images": stored.at[target].set(kept),
            "count": count + filling.astype(jnp.int32)}, returned

  return jax.lax.scan(one, pool, (images, take_stored, slots))
