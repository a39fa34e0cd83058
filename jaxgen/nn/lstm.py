"""An LSTM layer over a sequence, resumable from its state (Hochreiter & Schmidhuber 1997).

The cell is flax's ``OptimizedLSTMCell`` (input, forget, output gates and a tanh candidate; one
fused matmul), scanned over time with ``nn.scan``. The state ``(c, h)`` goes in and comes out, so
running T steps at once and running them one call at a time give the same outputs: a sampler
feeds one token per call and carries the state.
"""

import flax.linen as nn
import jax
import jax.numpy as jnp

State = tuple  # (c [B, H], h [B, H])


def zero_state(batch_size: int, features: int) -> State:
  zeros = jnp.zeros((batch_size, features), jnp.float32)
  return zeros, zeros


class LSTMLayer(nn.Module):
  """x: [B, T, D], state (c, h) [B, H] each -> (outputs h_1..h_T [B, T, H], the final state)."""
  features: int

  @nn.compact
  def __call__(self, x: jax.Array, state: State):
    scanned = nn.scan(nn.OptimizedLSTMCell, variable_broadcast="params",
                      split_rngs={"params": False}, in_axes=1, out_axes=1)
    state, outputs = scanned(self.features, name="cell")(state, x)
    return outputs, state
