"""Codelengths under general-purpose lossless codecs: what a model's likelihood is set beside.

PNG (Pillow, ``optimize=True``) per image is the complexity term of Serra et al. 2020 ("Input
complexity and out-of-distribution detection with likelihood-based generative models"), whose
anomaly score is a model's codelength minus the codec's, -log2 p(x) - L(x): every image its own
file, headers included, as ``scripts/codec_bits_per_dim.py`` measures it for the whole test
split. ``command_bytes`` runs the command-line codecs (``COMMANDS``) on any bytes.
"""

import io
import os
import shutil
import subprocess
import tempfile

import numpy as np
from PIL import Image

# Codec name -> its command on (input file, output file): it writes the output file, or the
# compressed stream to stdout. Sizes include the container's headers.
COMMANDS = {
    "xz": lambda src, out: ["xz", "-9e", "-k", "-T1", "-c", src],
    "zstd": lambda src, out: ["zstd", "-q", "--ultra", "-22", src, "-o", out],
    "ppmd": lambda src, out: ["7z", "a", "-bd", "-m0=PPMd", out, src],
    "ppmd_o16": lambda src, out: ["7z", "a", "-bd", "-m0=PPMd:mem=256m:o=16", out, src],
    # 8-bit audio (mu-law codes) as unsigned 8 kHz mono PCM
    "flac": lambda src, out: ["flac", "--best", "--silent", "--force-raw-format", "--endian=little",
                              "--sign=unsigned", "--channels=1", "--bps=8", "--sample-rate=8000",
                              "-o", out, src],
}


def command_bytes(codec: str, data: bytes) -> int | None:
  """The size in bytes of ``data`` compressed by ``COMMANDS[codec]`` (None when its tool is not
  installed)."""
  with tempfile.TemporaryDirectory() as work:
    src, out = os.path.join(work, "data.raw"), os.path.join(work, "data.out")
    command = COMMANDS[codec](src, out)
    if shutil.which(command[0]) is None:
      return None
    with open(src, "wb") as f:
      f.write(data)
    result = subprocess.run(command, check=True, capture_output=True)
    return os.path.getsize(out) if os.path.exists(out) else len(result.stdout)


def png_bytes(image: np.ndarray) -> int:
  """image: uint8 [H, W] or [H, W, 3] -> the size of its optimized PNG file in bytes."""
  buffer = io.BytesIO()
  Image.fromarray(image).save(buffer, format="PNG", optimize=True)
  return buffer.tell()


def png_bits(images: np.ndarray) -> np.ndarray:
  """images: uint8 [N, H, W, C], C = 1 or 3 -> float64 [N], each image's PNG codelength in bits."""
  images = np.asarray(images)
  if images.dtype != np.uint8 or images.ndim != 4 or images.shape[-1] not in (1, 3):
    raise ValueError(f"expected uint8 images [N, H, W, C] with C = 1 or 3, got {images.dtype} "
                     f"{list(images.shape)}")
  grey = images.shape[-1] == 1
  return np.array([8.0 * png_bytes(image[..., 0] if grey else image) for image in images])
