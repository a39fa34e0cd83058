"""The GPT-2-style Transformer decoder over a vocabulary of V tokens: the sequence family's
``transformer`` and the VQ-VAE's Transformer prior over code maps.

    apply(variables, inputs [B, T], cache=None, position=0, train=False, labels=None)
        -> (logits [B, T, V], cache or None)

``inputs`` are the tokens shifted right with the start token V in front
(``nn.autoregressive.shift_right``), so output t predicts token t from tokens < t. With a cache
(``empty_cache``: keys and values of every layer, ``nn.attention``) it runs a few new tokens at
``position``; without one, the whole sequence at once.
"""

from typing import Optional

import flax.linen as nn
import jax
import jax.numpy as jnp

from jaxgen.nn import attention

POSITIONS = ("learned", "rotary")


class TransformerLM(nn.Module):
  """GPT-2-style decoder (Radford et al. 2019): token and learned position embeddings,
  ``num_layers`` pre-LayerNorm blocks, a final LayerNorm and the output layer (the token
  embedding's transpose when ``tie_embeddings``). ``positions="rotary"`` drops the position
  embedding and rotates each layer's queries and keys instead (``nn.attention.rotary``).

  With ``num_classes``, class-conditional: a learned embedding of ``labels`` [B] in
  0..num_classes-1 is added at every position, like the position embedding (the VQ-VAE's
  class-conditional prior; WaveNet's global conditioning for a Transformer)."""
  vocab_size: int
  max_length: int
  width: int = 128
  num_layers: int = 2
  num_heads: int = 4
  dropout: float = 0.0
  tie_embeddings: bool = True
  positions: str = "learned"
  num_classes: int = 0  # 0: unconditional

  @nn.compact
  def __call__(self, inputs: jax.Array, cache: Optional[list] = None, position=0,
               train: bool = False, labels: Optional[jax.Array] = None):
    embed = nn.Embed(self.vocab_size + 1, self.width, name="embed")  # + the start token
    x = embed(inputs)
    if self.positions == "learned":
      positions = position + jnp.arange(inputs.shape[1])
      x = x + nn.Embed(self.max_length, self.width, name="position")(positions)
    if self.num_classes:
      x = x + nn.Embed(self.num_classes, self.width, name="condition")(labels)[:, None]
    x = self.perturb("inputs", x)  # d outputs / d inputs, where a test asks (a no-op otherwise)
    x = nn.Dropout(self.dropout, deterministic=not train)(x)
    new_cache = []
    for i in range(self.num_layers):
      x, layer_cache = attention.TransformerBlock(self.num_heads, dropout=self.dropout,
                                                  rotary=self.positions == "rotary")(
          x, None if cache is None else cache[i], position, train)
      new_cache.append(layer_cache)
    x = nn.LayerNorm()(x)
    logits = (embed.attend(x)[..., :self.vocab_size] if self.tie_embeddings
              else nn.Dense(self.vocab_size, name="head")(x))
    return logits, None if cache is None else new_cache

  def empty_cache(self, batch_size: int) -> list:
    return [attention.empty_cache(batch_size, self.max_length, self.num_heads,
                                  self.width // self.num_heads)] * self.num_layers
