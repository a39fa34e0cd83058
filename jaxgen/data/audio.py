"""``speech``: 8 kHz mu-law speech made offline from the fortunes text, as windows of samples.

``scripts/make_speech.py`` speaks fortune entries with Debian's ``espeak-ng`` (voice ``en-us``,
160 words per minute, its 22,050 Hz output resampled to 8 kHz by ``scipy.signal.resample_poly``)
and stores each split's clips, mu-law coded to 256 levels (ITU-T G.711's curve, mu = 255), as
``speech.npz`` (``<split>`` uint8 codes of the clips one after another, ``<split>_lengths``):
train clips from the fortunes train entries, validation and test clips from theirs. An example is
a window of T = 4,000 samples (half a second) of a split's codes; the last partial window is
dropped. Tokens are the codes (V = 256), so bits per token are bits per sample.

Found in ``data.dir``, then ``$JAXGEN_DATA_DIR/speech/``, then ``~/.cache/jaxgen/speech``.
"""

import functools
import os

import numpy as np

from jaxgen.data import idx
from jaxgen.data.sources import DATASETS, ArrayRecords, DatasetInfo, Source
from jaxgen.errors import DataError

MU = 255
SAMPLE_RATE = 8000
WINDOW = 4000
# Windows per split of the file scripts/make_speech.py writes with Debian 12's espeak-ng 1.51 and
# fortunes 1.99.1: known without the file, so a config on speech is checked where it is absent.
NUM_EXAMPLES = {"train": 7051, "validation": 719, "test": 725}
FILE = "speech.npz"
DEFAULT_DIR = os.path.join(os.path.expanduser("~"), ".cache", "jaxgen", "speech")


def mu_law_encode(audio: np.ndarray) -> np.ndarray:
  """audio in [-1, 1] -> uint8 codes 0..255: ``sign(x) ln(1 + mu |x|) / ln(1 + mu)``, quantized."""
  audio = np.clip(audio, -1.0, 1.0)
  compressed = np.sign(audio) * np.log1p(MU * np.abs(audio)) / np.log1p(MU)
  return np.round((compressed + 1) / 2 * MU).astype(np.uint8)


def mu_law_decode(codes: np.ndarray) -> np.ndarray:
  """uint8 codes -> audio in [-1, 1] (float32), the inverse of ``mu_law_encode`` up to its step."""
  compressed = 2 * np.asarray(codes, np.float32) / MU - 1
  return (np.sign(compressed) * np.expm1(np.abs(compressed) * np.log1p(MU)) / MU).astype(np.float32)


def find(data_dir: str | None) -> str:
  folders = idx.search_dirs("speech", data_dir, DEFAULT_DIR)
  for folder in folders:
    if os.path.isfile(os.path.join(folder, FILE)):
      return os.path.join(folder, FILE)
  raise DataError(f"speech: no {FILE} in {', '.join(folders)} (make it with python "
                  "scripts/make_speech.py, which needs apt-get install espeak-ng fortunes)")


@functools.cache
def _codes(path: str) -> dict:
  with np.load(path) as stored:
    return {split: stored[split] for split in ("train", "validation", "test")}


def split_codes(split: str, data_dir: str | None = None) -> np.ndarray:
  """A split's mu-law codes cut to whole windows: uint8 [N * T]."""
  codes = _codes(find(data_dir))[split]
  return codes[:len(codes) // WINDOW * WINDOW]


@functools.cache
def _split(split: str, data_dir: str | None) -> ArrayRecords:
  windows = split_codes(split, data_dir).reshape(-1, WINDOW)
  if len(windows) != NUM_EXAMPLES[split]:
    raise DataError(f"speech: {find(data_dir)} holds {len(windows)} {split} windows, expected "
                    f"{NUM_EXAMPLES[split]} (made with other espeak-ng or fortunes versions?)")
  return ArrayRecords(windows, None)


SPEECH = DatasetInfo(name="speech", kind="sequence", key="tokens", shape=(WINDOW,),
                     num_levels=MU + 1, num_classes=None, num_examples=dict(NUM_EXAMPLES),
                     decode=mu_law_decode, sample_rate=SAMPLE_RATE)

DATASETS.register("speech")(Source(describe=lambda: SPEECH, read=_split))
