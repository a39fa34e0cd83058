"""Bits per byte of lossless codecs on a text dataset's test split, given its train split: the
codelengths a sequence model's test bits per token is set beside (tokens are bytes).

A model has read the train split before it codes the test split, so a codec gets the same: its
conditional codelength is ``size(train + test) - size(train)``, in bits per test byte. The
unconditional ``size(test)`` is reported beside it. The bytes are exactly the windows the model
is evaluated on (``jaxgen.data.text.split_text``). Codecs (``jaxgen.eval.codelength.COMMANDS``):
``xz -9e``, ``zstd --ultra -22``, 7-Zip PPMd with its defaults (order 6, 16 MB) and order 16
with 256 MB. Needs Debian's ``fortunes``, ``xz-utils``, ``zstd`` and ``p7zip-full``.

    python scripts/text_codec_bits.py [--dataset fortunes] [--out codecs.json]
"""

import argparse
import json
import time

from jaxgen.data import text
from jaxgen.eval import codelength

DATASETS = {"fortunes": text.split_text}
CODECS = ("xz", "zstd", "ppmd", "ppmd_o16")


def main() -> None:
  parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
  parser.add_argument("--dataset", default="fortunes", choices=sorted(DATASETS))
  parser.add_argument("--out", default=None, help="also write the results as JSON")
  args = parser.parse_args()
  train, test = (DATASETS[args.dataset](split) for split in ("train", "test"))
  result = {"dataset": args.dataset, "train_bytes": len(train), "test_bytes": len(test),
            "codecs": {}}
  for codec in CODECS:
    start = time.perf_counter()
    sizes = [codelength.command_bytes(codec, data) for data in (train + test, train, test)]
    if None in sizes:
      result["codecs"][codec] = None
      print(f"{codec:9s} not installed")
      continue
    both, alone, test_only = sizes
    entry = {"conditional_bits_per_byte": 8 * (both - alone) / len(test),
             "bits_per_byte": 8 * test_only / len(test),
             "seconds": round(time.perf_counter() - start, 1)}
    result["codecs"][codec] = entry
    print(f"{codec:9s} {entry['conditional_bits_per_byte']:.3f} bits/byte given train "
          f"({entry['bits_per_byte']:.3f} alone; {entry['seconds']} s)")
  if args.out:
    with open(args.out, "w") as f:
      json.dump(result, f, indent=2)


if __name__ == "__main__":
  main()
