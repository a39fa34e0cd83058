"""Makes the ``speech`` dataset: fortune entries spoken by espeak-ng, 8 kHz, mu-law coded.

Deterministic: the same entries (the first ``--clips`` fortunes of each split of at most 200
characters, ``jaxgen.data.text.split_entries``), voice ``en-us`` at 160 words per minute, espeak's
22,050 Hz output resampled to 8,000 Hz (``scipy.signal.resample_poly(x, 160, 441)``) and coded by
``jaxgen.data.audio.mu_law_encode``. Writes ``speech.npz`` (see ``jaxgen/data/audio.py``) to
``--out`` (default ``~/.cache/jaxgen/speech``, where the dataset looks). Needs Debian's
``espeak-ng`` and ``fortunes``. About a minute on a CPU.

    python scripts/make_speech.py [--out DIR] [--clips 600]
"""

import argparse
import io
import os
import shutil
import subprocess
import wave

import numpy as np
from scipy import signal

from jaxgen.data import audio, text

VOICE, WORDS_PER_MINUTE, MAX_CHARACTERS = "en-us", 160, 200


def speak(sentence: str) -> np.ndarray:
  """espeak-ng's rendering of ``sentence`` at 8 kHz in [-1, 1]: float [samples]."""
  wav = subprocess.run(["espeak-ng", "-v", VOICE, "-s", str(WORDS_PER_MINUTE), "--stdout"],
                       input=sentence.encode("utf-8"), capture_output=True, check=True).stdout
  with wave.open(io.BytesIO(wav)) as f:
    rate, pcm = f.getframerate(), np.frombuffer(f.readframes(f.getnframes()), np.int16)
  if rate != 22050:
    raise SystemExit(f"espeak-ng wrote {rate} Hz audio; this script resamples from 22050 Hz")
  return signal.resample_poly(pcm / 32768.0, 160, 441)


def main() -> None:
  parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
  parser.add_argument("--out", default=audio.DEFAULT_DIR)
  parser.add_argument("--clips", type=int, default=600, help="training clips (validation and "
                      "test: a tenth of it each)")
  args = parser.parse_args()
  if shutil.which("espeak-ng") is None:
    raise SystemExit("espeak-ng not found: apt-get install espeak-ng")
  arrays = {}
  for split, clips in (("train", args.clips), ("validation", args.clips // 10),
                       ("test", args.clips // 10)):
    entries = [e for e in text.split_entries(split) if len(e) <= MAX_CHARACTERS][:clips]
    codes = [audio.mu_law_encode(speak(" ".join(entry.split()))) for entry in entries]
    arrays[split] = np.concatenate(codes)
    arrays[f"{split}_lengths"] = np.asarray([len(c) for c in codes])
    print(f"{split}: {len(codes)} clips, {len(arrays[split]) / audio.SAMPLE_RATE:.0f} s")
  os.makedirs(args.out, exist_ok=True)
  np.savez_compressed(os.path.join(args.out, audio.FILE), **arrays)
  print(f"wrote {os.path.join(args.out, audio.FILE)}")


if __name__ == "__main__":
  main()
