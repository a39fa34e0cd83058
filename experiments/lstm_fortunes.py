"""LSTM on fortunes: 2 layers of 256 units, windows of 256 bytes, dropout 0.1.

A char-RNN (Graves 2013) over the bytes of Debian's fortunes package (2.3 MB of training text),
set beside lossless codecs given the same training text (scripts/sequence_codec_bits.py).

Launch:   jaxgen train --config experiments/lstm_fortunes.py --workdir runs/lstm_fortunes
Evaluate: jaxgen eval --workdir runs/lstm_fortunes
Data:     fortunes (apt-get install fortunes).
Expected: not yet measured; issue #33's floor is PPMd's 2.084 bits/byte given train.
"""

import transformer_fortunes


def get_config(arg=None):
  config = transformer_fortunes.get_config(arg)
  config.description = "LSTM, 2 layers of 256, fortunes bytes"
  config.model.name = "lstm"
  config.model.width = 256
  config.model.num_layers = 2
  return config
