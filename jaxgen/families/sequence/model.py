"""Next-token networks over a vocabulary of V tokens: a Transformer decoder, an LSTM, WaveNet.

Each reads ``inputs`` [B, T]: the sequence shifted right by one, with the start token V in front
(``nn.autoregressive.shift_right``), so output t predicts token t from tokens < t. Each takes and
returns a cache, so a sampler can feed one token per call: the Transformer's keys and values
(``nn.attention``), the LSTM's states (``nn.lstm``), WaveNet's per-layer queues
(``nn.causal_conv``). Called without a cache they run the whole sequence at once. The Transformer is
``nn.transformer``'s, which the VQ-VAE's prior shares; the Transformer and WaveNet take ``labels``
[B] when class-conditional.

    apply(variables, inputs [B, T], cache=None, position=0, train=False[, labels])
        -> (logits [B, T, V], cache or None)
    model.empty_cache(batch_size) -> the cache before the first token
"""

import inspect
from typing import Optional

import flax.linen as nn
import jax
import jax.numpy as jnp
import ml_collections

from jaxgen.errors import ConfigError
from jaxgen.nn import causal_conv, lstm
from jaxgen.nn.transformer import POSITIONS, TransformerLM
from jaxgen.registry import Registry

ARCHITECTURES = Registry("sequence model")


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


class WaveNet(nn.Module):
  """WaveNet (van den Oord et al. 2016): ``num_stacks`` stacks of dilated causal convolutions with
  dilations 1, 2, ..., 2^(num_layers - 1), each a gated unit ``tanh(W_f x) * sigmoid(W_g x)`` with
  a residual and a skip connection, then ReLU, 1x1, ReLU, 1x1 to V logits (a softmax over the
  mu-law codes). The input embedding of the shifted tokens stands in for the paper's first causal
  convolution. Receptive field: ``num_stacks * (2^num_layers - 1) + 1`` tokens.

  With ``num_classes``, global conditioning (the paper's eq. 2, there on the speaker): every
  layer adds ``V_f h + V_g h`` of the class's one-hot h to its filter and gate, so ``labels``
  [B] in 0..num_classes-1 say what to generate (``tones``: the note)."""
  vocab_size: int
  max_length: int
  width: int = 32  # residual channels
  num_layers: int = 8  # layers per stack
  num_stacks: int = 2
  skip_features: int = 64
  num_classes: int = 0  # 0: unconditional

  @property
  def dilations(self) -> list:
    return [2**i for i in range(self.num_layers)] * self.num_stacks

  @nn.compact
  def __call__(self, inputs: jax.Array, cache: Optional[list] = None, position=0,
               train: bool = False, labels: Optional[jax.Array] = None):
    x = nn.Embed(self.vocab_size + 1, self.width, name="embed")(inputs)
    x = self.perturb("inputs", x)
    skip, new_cache = 0.0, []
    for i, dilation in enumerate(self.dilations):
      filter_and_gate, queue = causal_conv.DilatedCausalConv(2 * self.width, dilation)(
          x, None if cache is None else cache[i], position)
      if self.num_classes:  # V_f h, V_g h: a one-hot times a matrix is an embedding
        filter_and_gate += nn.Embed(self.num_classes, 2 * self.width,
                                    name=f"condition_{i}")(labels)[:, None]
      new_cache.append(queue)
      gated = jnp.tanh(filter_and_gate[..., :self.width]) * nn.sigmoid(
          filter_and_gate[..., self.width:])
      skip = skip + nn.Dense(self.skip_features)(gated)
      x = x + nn.Dense(self.width)(gated)
    hidden = nn.Dense(self.skip_features)(nn.relu(skip))
    return nn.Dense(self.vocab_size, name="head")(nn.relu(hidden)), (
        None if cache is None else new_cache)

  def empty_cache(self, batch_size: int) -> list:
    return [causal_conv.empty_queue(batch_size, d, self.width) for d in self.dilations]


@ARCHITECTURES.register("transformer")
def transformer(config: ml_collections.ConfigDict, vocab_size: int, length: int,
                num_classes: int = 0) -> nn.Module:
  positions = config.get("positions", "learned")  # absent from older workdirs' configs
  if positions not in POSITIONS:
    raise ConfigError(f"model.positions {positions!r} is unknown; valid: {', '.join(POSITIONS)}")
  if positions == "rotary" and (config.width // config.num_heads) % 2:
    raise ConfigError(f"rotary positions rotate pairs: width / num_heads must be even, got "
                      f"{config.width} / {config.num_heads}")
  return TransformerLM(vocab_size, length, config.width, config.num_layers, config.num_heads,
                       config.dropout, config.tie_embeddings, positions, num_classes)


@ARCHITECTURES.register("lstm")
def lstm_model(config: ml_collections.ConfigDict, vocab_size: int, length: int) -> nn.Module:
  return LSTMLM(vocab_size, length, config.width, config.num_layers, config.dropout)


@ARCHITECTURES.register("wavenet")
def wavenet(config: ml_collections.ConfigDict, vocab_size: int, length: int,
            num_classes: int = 0) -> nn.Module:
  return WaveNet(vocab_size, length, config.width, config.num_layers, config.num_stacks,
                 config.skip_features, num_classes)


def build_model(config: ml_collections.ConfigDict, vocab_size: int, length: int,
                num_classes: int = 0) -> nn.Module:
  """The network named by ``config.name`` (or a ``package.module:function`` of the same
  signature); class-conditional (``num_classes`` > 0) where it takes ``num_classes``."""
  if config.width <= 0 or config.num_layers <= 0:
    raise ConfigError(f"model.width and model.num_layers must be > 0, got {config.width} and "
                      f"{config.num_layers}")
  build = ARCHITECTURES.get(config.name)
  if not num_classes:
    return build(config, vocab_size, length)
  if "num_classes" not in inspect.signature(build).parameters:
    raise ConfigError(f"model.conditional: the {config.name} network takes no labels "
                      "(transformer and wavenet do)")
  return build(config, vocab_size, length, num_classes)
