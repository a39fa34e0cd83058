"""Next-token networks over a vocabulary of V tokens: a Transformer decoder and an LSTM.

Both read ``inputs`` [B, T]: the sequence shifted right by one, with the start token V in front
(``shift_right``), so output t predicts token t from tokens < t. Both take and return a cache, so
a sampler can feed one token per call: the Transformer's keys and values (``nn.attention``), the
LSTM's states (``nn.lstm``). Called without a cache they run the whole sequence at once.

    apply(variables, inputs [B, T], cache=None, position=0, train=False)
        -> (logits [B, T, V], cache or None)
    model.empty_cache(batch_size) -> the cache before the first token
"""

from typing import Optional

import flax.linen as nn
import jax
import jax.numpy as jnp
import ml_collections

from jaxgen.errors import ConfigError
from jaxgen.nn import attention, lstm
from jaxgen.registry import Registry

ARCHITECTURES = Registry("sequence model")


def shift_right(tokens: jax.Array, start_token: int) -> jax.Array:
  """tokens [B, T] -> [B, T]: the start token, then tokens 0..T-2."""
  start = jnp.full((tokens.shape[0], 1), start_token, tokens.dtype)
  return jnp.concatenate([start, tokens[:, :-1]], axis=1)


class TransformerLM(nn.Module):
  """GPT-2-style decoder (Radford et al. 2019): token and learned position embeddings,
  ``num_layers`` pre-LayerNorm blocks, a final LayerNorm and the output layer (the token
  embedding's transpose when ``tie_embeddings``)."""
  vocab_size: int
  max_length: int
  width: int = 128
  num_layers: int = 2
  num_heads: int = 4
  dropout: float = 0.0
  tie_embeddings: bool = True

  @nn.compact
  def __call__(self, inputs: jax.Array, cache: Optional[list] = None, position=0,
               train: bool = False):
    embed = nn.Embed(self.vocab_size + 1, self.width, name="embed")  # + the start token
    positions = position + jnp.arange(inputs.shape[1])
    x = embed(inputs) + nn.Embed(self.max_length, self.width, name="position")(positions)
    x = self.perturb("inputs", x)  # d outputs / d inputs, where a test asks (a no-op otherwise)
    x = nn.Dropout(self.dropout, deterministic=not train)(x)
    new_cache = []
    for i in range(self.num_layers):
      x, layer_cache = attention.TransformerBlock(self.num_heads, dropout=self.dropout)(
          x, None if cache is None else cache[i], position, train)
      new_cache.append(layer_cache)
    x = nn.LayerNorm()(x)
    logits = (embed.attend(x)[..., :self.vocab_size] if self.tie_embeddings
              else nn.Dense(self.vocab_size, name="head")(x))
    return logits, None if cache is None else new_cache

  def empty_cache(self, batch_size: int) -> list:
    return [attention.empty_cache(batch_size, self.max_length, self.num_heads,
                                  self.width // self.num_heads)] * self.num_layers


class LSTMLM(nn.Module):
  """Stacked LSTM language model (Graves 2013): token embedding, ``num_layers`` LSTM layers of
  ``width`` units with dropout between them, and the output layer."""
  vocab_size: int
  max_length: int
  width: int = 256
  num_layers: int = 2
  dropout: float = 0.0

  @nn.compact
  def __call__(self, inputs: jax.Array, cache: Optional[list] = None, position=0,
               train: bool = False):
    drop = nn.Dropout(self.dropout, deterministic=not train)
    states = self.empty_cache(inputs.shape[0]) if cache is None else cache
    x = self.perturb("inputs", nn.Embed(self.vocab_size + 1, self.width, name="embed")(inputs))
    new_states = []
    for i in range(self.num_layers):
      x, state = lstm.LSTMLayer(self.width)(drop(x), states[i])
      new_states.append(state)
    logits = nn.Dense(self.vocab_size, name="head")(drop(x))
    return logits, None if cache is None else new_states

  def empty_cache(self, batch_size: int) -> list:
    return [lstm.zero_state(batch_size, self.width)] * self.num_layers


@ARCHITECTURES.register("transformer")
def transformer(config: ml_collections.ConfigDict, vocab_size: int, length: int) -> nn.Module:
  return TransformerLM(vocab_size, length, config.width, config.num_layers, config.num_heads,
                       config.dropout, config.tie_embeddings)


@ARCHITECTURES.register("lstm")
def lstm_model(config: ml_collections.ConfigDict, vocab_size: int, length: int) -> nn.Module:
  return LSTMLM(vocab_size, length, config.width, config.num_layers, config.dropout)


def build_model(config: ml_collections.ConfigDict, vocab_size: int, length: int) -> nn.Module:
  """The network named by ``config.name`` (or a ``package.module:function`` of the same
  signature)."""
  if config.width <= 0 or config.num_layers <= 0:
    raise ConfigError(f"model.width and model.num_layers must be > 0, got {config.width} and "
                      f"{config.num_layers}")
  return ARCHITECTURES.get(config.name)(config, vocab_size, length)
