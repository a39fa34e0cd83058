"""WaveNet on speech: 2 stacks of 9 dilated layers (1..256), 32 residual, 64 skip channels.

van den Oord et al. 2016, "WaveNet": gated dilated causal convolutions, a 256-way softmax over
8 kHz mu-law codes; receptive field 1,023 samples (128 ms). Windows of 4,000 samples, batch 8.
Sampling carries per-layer queues (Paine et al. 2016, "Fast Wavenet"): same samples, far faster.

Launch:   jaxgen train --config experiments/wavenet_speech.py --workdir runs/wavenet_speech
Evaluate: jaxgen eval --workdir runs/wavenet_speech
Data:     speech (python scripts/make_speech.py; apt-get install espeak-ng fortunes).
Expected: not yet measured; issue #33's floor is FLAC's 5.78 bits/sample given train.
"""

import _sequence_base
from jaxgen.core.config import reproduce


def get_config(arg=None):
  config = _sequence_base.get_config(arg)
  config.description = "WaveNet, 2 stacks x 9 layers, 32/64 channels, 8 kHz mu-law speech"
  config.data.name = "speech"
  config.model.name = "wavenet"
  config.model.width = 32
  config.model.num_layers = 9
  config.train.batch_size = 8
  config.optimizer.learning_rate = 1e-3
  config.eval.batch_size = 32
  config.eval.num_samples = 2  # half a second each
  config.eval.num_text_samples = 4
  if arg != "smoke":
    config.train.num_steps = 4000
    config.eval_every = config.checkpoint_every = 1000
  reproduce(config, ('bits_per_token <= 5.78',),
            source='issue #33: below FLAC --best given the train split (scripts/sequence_codec_bits.py)',
            protocol='725 test windows of 4,000 mu-law samples, exact -log2 P per sample',
            compute='hours on 2 CPU cores')
  return config
