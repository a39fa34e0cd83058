"""transformer_markov_text with rotary positions (RoFormer, Su et al. 2021) instead of learned
position embeddings: each layer rotates its queries and keys by their positions.

Launch:   jaxgen train --config experiments/transformer_rotary_markov_text.py --workdir runs/rope
Evaluate: jaxgen eval --workdir runs/rope
Expected: measured beside the learned positions in docs/results.md (Sequences).
"""

import transformer_markov_text


def get_config(arg=None):
  config = transformer_markov_text.get_config(arg)
  config.description = "Transformer with rotary positions, 2 layers, width 64, 4 heads, markov_text"
  config.model.positions = "rotary"
  return config
