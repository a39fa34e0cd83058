"""Writes tests/fixtures/fid_resize.npz: the reference implementations of two FID resize modes.

``pytorch_fid``: ``torch.nn.functional.interpolate(bilinear, align_corners=False)`` as pytorch-fid
calls it; ``clean``: clean-fid's ``make_resizer("PIL", False, "bicubic", size)``. Both on the
uint8-valued images of ``tests/fid_inception_random.resize_inputs``, upsampled and downsampled to
75x75 (299 would make the fixture 50x larger; the functions take any size).

    pip install torch clean-fid
    python scripts/make_resize_fixture.py
"""

import os
import sys

import numpy as np
import torch
import torch.nn.functional as F
from cleanfid.resize import make_resizer

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests"))
import fid_inception_random as fixture  # noqa: E402


def main() -> None:
  arrays = {}
  clean = make_resizer("PIL", False, "bicubic", (fixture.RESIZE_SIZE, fixture.RESIZE_SIZE))
  for size in fixture.RESIZE_INPUT_SIZES:
    images = fixture.resize_inputs(size)  # [B, H, W, 3] in [0, 1], multiples of 1/255
    nchw = torch.from_numpy(images).permute(0, 3, 1, 2)
    resized = F.interpolate(nchw, size=(fixture.RESIZE_SIZE, fixture.RESIZE_SIZE),
                            mode="bilinear", align_corners=False)
    arrays[f"pytorch_fid_{size}"] = resized.permute(0, 2, 3, 1).numpy()
    levels = np.round(images * 255).astype(np.uint8)
    arrays[f"clean_{size}"] = np.stack([clean(image) for image in levels])
  np.savez(fixture.RESIZE_FIXTURE, **arrays)
  print(f"wrote {fixture.RESIZE_FIXTURE}: {sorted(arrays)}")


if __name__ == "__main__":
  main()
