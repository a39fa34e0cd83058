"""LSTM on markov_text: 2 layers of 128 units, windows of 64 symbols.

A char-RNN (Graves 2013) on an order-3 Markov chain over 8 letters whose entropy is known
exactly, so the gap to the true bits per symbol is the model's KL divergence from the truth.

Launch:   jaxgen train --config experiments/lstm_markov_text.py --workdir runs/lstm_markov
Evaluate: jaxgen eval --workdir runs/lstm_markov
Expected: not yet measured; issue #33's floor is a gap within 0.02 bits/char on test.
"""

import _sequence_base


def get_config(arg=None):
  config = _sequence_base.get_config(arg)
  config.description = "LSTM, 2 layers of 128, markov_text"
  config.model.name = "lstm"
  config.model.width = 128
  return config
