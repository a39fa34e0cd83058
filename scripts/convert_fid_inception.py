"""Converts pytorch-fid's FID Inception weights into the project's .npz (offline, once).

The file is ``pt_inception-2015-12-05-6726825d.pth``, published with pytorch-fid's releases
(github.com/mseitzer/pytorch-fid/releases/tag/fid_weights): the TensorFlow graph of 2015-12-05
ported to torchvision's module names. On a machine with network:

    curl -LO https://github.com/mseitzer/pytorch-fid/releases/download/fid_weights/pt_inception-2015-12-05-6726825d.pth
    pip install torch   # only this converter needs it
    python scripts/convert_fid_inception.py \\
        --pth pt_inception-2015-12-05-6726825d.pth --out fid_inception.npz

then point ``$JAXGEN_FID_WEIGHTS`` at ``fid_inception.npz``. The .pth is read with
``torch.load(weights_only=True)`` (no arbitrary pickle), here, outside the package: nothing
jaxgen runs reads a pickle. ``from_torch_state_dict`` (numpy only) is what the tests check.
"""

import argparse

import numpy as np
from flax import traverse_util

# torch BatchNorm entries -> (collection, Flax name).
_BATCH_NORM = {"weight": ("params", "scale"), "bias": ("params", "bias"),
               "running_mean": ("batch_stats", "mean"), "running_var": ("batch_stats", "var")}


def from_torch_state_dict(state: dict) -> dict:
  """pytorch-fid's ``FIDInceptionV3`` state dict {name: array} -> the Flax variables of
  ``fid_inception.FIDInceptionV3``: conv OIHW -> HWIO, Linear [out, in] -> [in, out]."""
  flat = {}
  for name, value in state.items():
    value = np.asarray(value, np.float32)
    *path, leaf = name.split(".")
    if leaf == "num_batches_tracked":
      continue
    if path and path[-1] == "conv" and leaf == "weight":
      flat[("params", *path, "kernel")] = value.transpose(2, 3, 1, 0)
    elif path and path[-1] == "bn":
      collection, flax_name = _BATCH_NORM[leaf]
      flat[(collection, *path, flax_name)] = value
    elif path == ["fc"]:
      flat[("params", "fc", "kernel" if leaf == "weight" else "bias")] = (
          value.T if leaf == "weight" else value)
    else:
      raise ValueError(f"unexpected entry {name!r} in an FID Inception state dict")
  return traverse_util.unflatten_dict(flat)


def main() -> None:
  parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
  parser.add_argument("--pth", required=True, help="pt_inception-2015-12-05-6726825d.pth")
  parser.add_argument("--out", required=True, help="the .npz to write")
  args = parser.parse_args()
  import torch

  from jaxgen.eval.features import fid_inception, weights

  state = torch.load(args.pth, map_location="cpu", weights_only=True)
  variables = from_torch_state_dict({k: v.numpy() for k, v in state.items()})
  weights.save_weights(variables, args.out)
  weights.load_weights(args.out, fid_inception.FIDInceptionV3(),
                       np.zeros((1, 299, 299, 3), np.float32))  # checks every key and shape
  print(f"wrote {args.out} (sha256 {weights.file_hash(args.out)})")


if __name__ == "__main__":
  main()
