"""Next-token models' inputs and sampler, shared by the sequence family and the VQ-VAE's prior.

``shift_right`` makes a network's inputs, so output t predicts token t from tokens < t. ``draw``
draws sequences one token at a time: temperature, top-k, nucleus (top-p), a prompt, a cache.

Token t is drawn from ``filter_logits(logits_t)`` with the key ``fold_in(rng, t)``; the first P
tokens are the prompt's. ``cached=True`` feeds one token per network call and carries the
network's cache (keys and values, LSTM states); ``cached=False`` re-runs the network over the
whole canvas at every step. Both are one ``lax.scan`` and draw the same tokens from the same key.
"""

import jax
import jax.numpy as jnp


def shift_right(tokens: jax.Array, start_token: int) -> jax.Array:
  """tokens [B, T] -> [B, T]: the start token, then tokens 0..T-2."""
  start = jnp.full((tokens.shape[0], 1), start_token, tokens.dtype)
  return jnp.concatenate([start, tokens[:, :-1]], axis=1)


def filter_logits(logits: jax.Array, temperature: float = 1.0, top_k: int = 0,
                  top_p: float = 1.0) -> jax.Array:
  """logits [B, V] -> logits / temperature, with -inf outside the k most likely tokens (top_k > 0)
  and outside the nucleus: the fewest most likely tokens whose probability reaches top_p (Holtzman
  et al. 2020; top_p < 1). Tokens tied with the last one kept are kept."""
  logits = logits / temperature
  if top_k:
    kth = jax.lax.top_k(logits, top_k)[0][:, -1:]
    logits = jnp.where(logits < kth, -jnp.inf, logits)
  if top_p < 1.0:
    descending = -jnp.sort(-logits, axis=-1)
    probs = jax.nn.softmax(descending, axis=-1)
    before = jnp.cumsum(probs, axis=-1) - probs  # mass of the tokens ranked above each
    threshold = jnp.min(jnp.where(before < top_p, descending, jnp.inf), axis=-1, keepdims=True)
    logits = jnp.where(logits < threshold, -jnp.inf, logits)
  return logits


def draw(apply, empty_cache, prompt: jax.Array, length: int, start_token: int, rng: jax.Array,
         temperature: float = 1.0, top_k: int = 0, top_p: float = 1.0,
         cached: bool = True) -> jax.Array:
  """Sequences [B, length] int32 whose first P tokens are ``prompt`` [B, P].

  apply(inputs [B, T'], cache, position) -> (logits [B, T', V], cache); empty_cache(B) -> cache.
  """
  batch_size, prompt_length = prompt.shape
  canvas = jnp.zeros((batch_size, length), jnp.int32).at[:, :prompt_length].set(prompt)

  def step(carry, t):
    canvas, cache = carry
    if cached:
      previous = jnp.where(t == 0, start_token, canvas[:, jnp.maximum(t - 1, 0)])
      logits, cache = apply(previous[:, None], cache, t)
      logits = logits[:, 0]
    else:
      logits, _ = apply(shift_right(canvas, start_token), None, 0)
      logits = jax.lax.dynamic_index_in_dim(logits, t, axis=1, keepdims=False)
    drawn = jax.random.categorical(jax.random.fold_in(rng, t),
                                   filter_logits(logits, temperature, top_k, top_p))
    token = jnp.where(t < prompt_length, canvas[:, t], drawn.astype(jnp.int32))
    return (canvas.at[:, t].set(token), cache), None

  cache = empty_cache(batch_size) if cached else None
  (canvas, _), _ = jax.lax.scan(step, (canvas, cache), jnp.arange(length))
  return canvas
