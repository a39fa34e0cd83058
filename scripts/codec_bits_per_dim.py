"""Bits per dimension of lossless codecs on Fashion-MNIST's 10,000 test images: the codelengths a
generative model's test likelihood is set beside (``jaxgen`` reports bits/dim over 256 levels).

Each codec compresses the same 7,840,000 pixels (10,000 images of 28x28, uint8); bits/dim is
8 x compressed bytes / 7,840,000, headers included:
  png_per_image  each image its own PNG, Pillow ``optimize=True`` (sum of the files)
  png_tiled      the images tiled 100 x 100 into one 2800x2800 PNG, ``optimize=True``
  xz             ``xz -9e`` of the raw pixels, image after image
  zstd           ``zstd --ultra -22`` of the raw pixels
  ppmd           ``7z a -m0=PPMd:mem=256m:o=16`` of the raw pixels
  jpeg_xl        ``cjxl -d 0 -e 9`` (lossless) of the tiled 2800x2800 image

Needs Debian's ``dataset-fashion-mnist``, ``xz-utils``, ``zstd``, ``p7zip-full`` and
``libjxl-tools``. A codec whose tool is missing is reported as missing, not skipped silently.

    python scripts/codec_bits_per_dim.py [--out codecs.json]
"""

import argparse
import json
import os
import shutil
import subprocess
import tempfile
import time

import numpy as np
from PIL import Image

from jaxgen.data import idx
from jaxgen.eval import codelength

TILES = 100  # 100 x 100 tiles of 28x28: the 10,000 test images in one 2800x2800 picture


def test_images() -> np.ndarray:
  folder = idx.find("fashion_mnist", None)
  if folder is None:
    raise SystemExit("Fashion-MNIST's IDX files not found: apt-get install dataset-fashion-mnist")
  return idx.read(folder, "test")[0][..., 0]  # [10000, 28, 28] uint8


def tiled(images: np.ndarray) -> np.ndarray:
  n, h, w = images.shape
  return images.reshape(TILES, n // TILES, h, w).transpose(0, 2, 1, 3).reshape(TILES * h, -1)


def jpeg_xl_bytes(picture: str) -> int | None:
  """Size of the lossless JPEG XL of the PNG at ``picture`` (None when cjxl is not installed)."""
  if shutil.which("cjxl") is None:
    return None
  subprocess.run(["cjxl", "-d", "0", "-e", "9", picture, picture + ".jxl"], check=True,
                 capture_output=True)
  return os.path.getsize(picture + ".jxl")


def main() -> None:
  parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
  parser.add_argument("--out", default=None, help="also write the results as JSON")
  args = parser.parse_args()
  images = test_images()
  dims = images.size
  sizes, seconds = {}, {}
  with tempfile.TemporaryDirectory() as work:
    pixels, picture = images.tobytes(), os.path.join(work, "tiled.png")
    Image.fromarray(tiled(images)).save(picture)
    jobs = {
        "png_per_image": lambda: sum(codelength.png_bytes(image) for image in images),
        "png_tiled": lambda: codelength.png_bytes(tiled(images)),
        "xz": lambda: codelength.command_bytes("xz", pixels),
        "zstd": lambda: codelength.command_bytes("zstd", pixels),
        "ppmd": lambda: codelength.command_bytes("ppmd_o16", pixels),
        "jpeg_xl": lambda: jpeg_xl_bytes(picture),
    }
    for name, job in jobs.items():
      start = time.perf_counter()
      sizes[name] = job()
      seconds[name] = time.perf_counter() - start
  result = {"images": len(images), "dims": int(dims), "codecs": {
      name: None if size is None else {"bytes": int(size), "bits_per_dim": 8 * size / dims,
                                       "seconds": round(seconds[name], 1)}
      for name, size in sizes.items()}}
  for name, entry in result["codecs"].items():
    print(f"{name:14s} " + ("not installed" if entry is None else
                            f"{entry['bits_per_dim']:.3f} bits/dim ({entry['bytes']:,} bytes, "
                            f"{entry['seconds']} s)"))
  if args.out:
    with open(args.out, "w") as f:
      json.dump(result, f, indent=2)


if __name__ == "__main__":
  main()
