"""Bits per token of lossless codecs on a sequence dataset's test split, given its train split:
the codelengths a sequence model's test bits per token is set beside (text: bytes; audio: 8-bit
mu-law samples).

A model has read the train split before it codes the test split, so a codec gets the same: its
conditional codelength is ``size(train + test) - size(train)``, in bits per test token. The
unconditional ``size(test)`` is reported beside it. The bytes are exactly the windows the model
is evaluated on (``jaxgen.data.text.split_text``, ``jaxgen.data.audio.split_codes``). Codecs
(``jaxgen.eval.codelength.COMMANDS``): text: ``xz -9e``, ``zstd --ultra -22``, 7-Zip PPMd with its
defaults (order 6, 16 MB) and order 16 with 256 MB; audio: ``flac --best`` (the codes as unsigned
8-bit 8 kHz PCM), ``xz -9e``. Needs Debian's ``fortunes``, ``xz-utils``, ``zstd``, ``p7zip-full``,
``flac`` (and for speech its ``speech.npz``, ``scripts/make_speech.py``).

    python scripts/sequence_codec_bits.py [--dataset fortunes|speech] [--out codecs.json]
"""

import argparse
import json
import time

from jaxgen.data import audio, text
from jaxgen.eval import codelength

# dataset -> (split -> its bytes, the codecs measured on it)
DATASETS = {"fortunes": (text.split_text, ("xz", "zstd", "ppmd", "ppmd_o16")),
            "speech": (lambda split: audio.split_codes(split).tobytes(), ("flac", "xz"))}


def main() -> None:
  parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
  parser.add_argument("--dataset", default="fortunes", choices=sorted(DATASETS))
  parser.add_argument("--out", default=None, help="also write the results as JSON")
  args = parser.parse_args()
  split_bytes, codecs = DATASETS[args.dataset]
  train, test = split_bytes("train"), split_bytes("test")
  result = {"dataset": args.dataset, "train_tokens": len(train), "test_tokens": len(test),
            "codecs": {}}
  for codec in codecs:
    start = time.perf_counter()
    sizes = [codelength.command_bytes(codec, data) for data in (train + test, train, test)]
    if None in sizes:
      result["codecs"][codec] = None
      print(f"{codec:9s} not installed")
      continue
    both, alone, test_only = sizes
    entry = {"conditional_bits_per_token": 8 * (both - alone) / len(test),
             "bits_per_token": 8 * test_only / len(test),
             "seconds": round(time.perf_counter() - start, 1)}
    result["codecs"][codec] = entry
    print(f"{codec:9s} {entry['conditional_bits_per_token']:.3f} bits/token given train "
          f"({entry['bits_per_token']:.3f} alone; {entry['seconds']} s)")
  if args.out:
    with open(args.out, "w") as f:
      json.dump(result, f, indent=2)


if __name__ == "__main__":
  main()
