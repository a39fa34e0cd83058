"""WaveNet conditioned on the note, on synthetic tones: 2 stacks of 6 dilated layers, 32 channels.

van den Oord et al. 2016's global conditioning (eq. 2): each layer adds an embedding of the label
to its filter and gate. ``tones``: quarter-second 8 kHz mu-law sine tones of 10 notes (C4-E5),
random amplitude and phase, a little noise; a sample's note is read off its spectrum, so
``label_accuracy`` says whether the model plays the note it is asked for.

Launch:   jaxgen train --config experiments/wavenet_tones.py --workdir runs/wavenet_tones
Evaluate: jaxgen eval --workdir runs/wavenet_tones
Measured (seed 0, 2,000 steps, 70 min on 2 CPU cores shared with 4 runs): test 2.350 bits/sample
(floor ~2.11: the noise's entropy after mu-law coding given the tone); label_accuracy 1.00 of 100.
"""

import wavenet_speech


def get_config(arg=None):
  config = wavenet_speech.get_config(arg)
  config.description = "WaveNet, 2 stacks x 6 layers, 32 channels, conditioned on the note, tones"
  config.data.name = "tones"
  config.model.num_layers = 6  # receptive field 127 samples: 4 periods of C4
  config.model.conditional = True
  config.train.batch_size = 16
  config.eval.num_text_samples = 100  # 10 per note
  del config.reproduce  # the speech floor is not this data's
  if arg != "smoke":
    config.train.num_steps = 2000
    config.eval_every = config.checkpoint_every = 500
  return config
