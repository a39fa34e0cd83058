"""``tones``: synthetic 8 kHz mu-law audio whose structure is known, for conditional audio models.

Each window is T = 2,000 samples (a quarter second) of one sine tone, ``a sin(2 pi f t / 8000 +
phi) + noise``, mu-law coded to 256 levels as ``speech``. The label is the note: f is one of the
10 notes of the C major scale from C4 (261.6 Hz) to E5 (659.3 Hz), equal-tempered from A4 = 440
Hz. The amplitude a ~ U(0.2, 0.8) and phase phi ~ U(0, 2 pi) are drawn per window, the noise is
Gaussian with sd 0.01 per sample. A window's note is read back exactly from its spectrum
(``classify``: the note nearest the strongest frequency), so a model conditioned on the note can
be scored on whether its samples play it (the sequence family's ``label_accuracy``).
"""

import functools

import numpy as np

from jaxgen.data.audio import SAMPLE_RATE, mu_law_decode, mu_law_encode
from jaxgen.data.sources import DATASETS, ArrayRecords, DatasetInfo, Source

WINDOW = 2000
NOTES = ("C4", "D4", "E4", "F4", "G4", "A4", "B4", "C5", "D5", "E5")
SEMITONES_FROM_A4 = np.array([-9, -7, -5, -4, -2, 0, 2, 3, 5, 7])
FREQUENCIES = 440.0 * 2.0 ** (SEMITONES_FROM_A4 / 12)  # Hz, [10]
NOISE_SD = 0.01
NUM_EXAMPLES = {"train": 2000, "validation": 200, "test": 200}
_SPLIT_STREAMS = {"train": 0, "validation": 1, "test": 2}
TONES_SEED = 20161201


def synthesize(labels: np.ndarray, rng: np.random.Generator) -> np.ndarray:
  """labels: [N] notes -> audio [N, T] in [-1, 1] (float64): one tone per row, its amplitude,
  phase and noise drawn from ``rng``."""
  amplitude = rng.uniform(0.2, 0.8, (len(labels), 1))
  phase = rng.uniform(0.0, 2 * np.pi, (len(labels), 1))
  t = np.arange(WINDOW) / SAMPLE_RATE
  tone = amplitude * np.sin(2 * np.pi * FREQUENCIES[labels][:, None] * t + phase)
  return tone + NOISE_SD * rng.standard_normal(tone.shape)


def classify(tokens: np.ndarray) -> np.ndarray:
  """Mu-law windows [N, T] -> the note [N] nearest (in semitones) each window's strongest
  frequency (a Hann-windowed spectrum, 4 Hz bins: notes are >= 15 Hz apart)."""
  audio = mu_law_decode(np.asarray(tokens))
  spectrum = np.abs(np.fft.rfft(audio * np.hanning(audio.shape[-1]), axis=-1))
  peak = np.fft.rfftfreq(audio.shape[-1], 1 / SAMPLE_RATE)[np.argmax(spectrum[:, 1:], axis=-1) + 1]
  distance = np.abs(np.log2(peak[:, None] / FREQUENCIES[None, :]))
  return np.argmin(distance, axis=-1)


@functools.cache
def _split(split: str) -> ArrayRecords:
  rng = np.random.default_rng([TONES_SEED, _SPLIT_STREAMS[split]])
  labels = rng.integers(0, len(NOTES), NUM_EXAMPLES[split])
  windows = mu_law_encode(synthesize(labels, rng))
  windows.flags.writeable = False
  return ArrayRecords(windows, labels.astype(np.int32))


TONES = DatasetInfo(
    name="tones", kind="sequence", key="tokens", shape=(WINDOW,), num_levels=256,
    num_classes=len(NOTES), num_examples=dict(NUM_EXAMPLES), class_names=NOTES,
    decode=mu_law_decode, sample_rate=SAMPLE_RATE, classify=classify)

DATASETS.register("tones")(Source(describe=lambda: TONES, read=lambda split, data_dir: _split(split)))
