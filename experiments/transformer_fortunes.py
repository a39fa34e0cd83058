"""Transformer on fortunes: 4 layers, width 128, 4 heads, windows of 256 bytes, dropout 0.1.

A GPT-2-style byte-level decoder on the text of Debian's fortunes package (2.3 MB of training
text), set beside lossless codecs given the same training text (scripts/sequence_codec_bits.py).

Launch:   jaxgen train --config experiments/transformer_fortunes.py --workdir runs/tf_fortunes
Evaluate: jaxgen eval --workdir runs/tf_fortunes
Data:     fortunes (apt-get install fortunes).
Expected: not yet measured; issue #33's floor is PPMd's 2.084 bits/byte given train.
"""

import _sequence_base
from jaxgen.core.config import reproduce


def get_config(arg=None):
  config = _sequence_base.get_config(arg)
  config.description = "Transformer, 4 layers, width 128, 4 heads, fortunes bytes"
  config.data.name = "fortunes"
  config.model.width = 128
  config.model.num_layers = 4
  config.model.dropout = 0.1
  config.train.batch_size = 32
  config.optimizer.learning_rate = 1e-3
  config.eval.batch_size = 128
  config.eval.num_text_samples = 16
  if arg != "smoke":
    config.train.num_steps = 4000
    config.eval_every = config.checkpoint_every = 500
  reproduce(config, ('bits_per_token <= 2.084',),
            source='issue #33: below 7-Zip PPMd given the train split (scripts/sequence_codec_bits.py)',
            protocol='509 test windows of 256 bytes, exact -log2 P per byte',
            compute='hours on 2 CPU cores')
  return config
