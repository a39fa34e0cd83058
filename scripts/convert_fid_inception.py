"""Converts the FID Inception weights into the project's .npz (offline, once), from either file:

- the TensorFlow graph of 2015-12-05 itself, ``classify_image_graph_def.pb`` inside
  ``http://download.tensorflow.org/models/image/imagenet/inception-2015-12-05.tgz`` (what TTUR's
  ``fid.py`` and TF-GAN load), read with TensorFlow's GraphDef parser: ``--graph FILE.pb``;
- pytorch-fid's port of it, ``pt_inception-2015-12-05-6726825d.pth`` (github.com/mseitzer/
  pytorch-fid/releases/tag/fid_weights), read with ``torch.load(weights_only=True)``: ``--pth``.

On a machine with network:

    curl -L https://download.tensorflow.org/models/image/imagenet/inception-2015-12-05.tgz | tar xz
    python scripts/convert_fid_inception.py --graph classify_image_graph_def.pb --out fid.npz

then point ``$JAXGEN_FID_WEIGHTS`` at ``fid.npz``. Both readers run here, outside the package:
nothing jaxgen runs reads a pickle or a graph. The tests check the numpy-only mappings.
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


# The 2015 graph's scope of each of torchvision's modules (the .pth is the graph renamed): the
# stem, the blocks, and inside a block the branches, which the graph names by tower and position.
_GRAPH_STEM = {"Conv2d_1a_3x3": "conv", "Conv2d_2a_3x3": "conv_1", "Conv2d_2b_3x3": "conv_2",
               "Conv2d_3b_1x1": "conv_3", "Conv2d_4a_3x3": "conv_4"}
_A = {"branch1x1": "conv", "branch5x5_1": "tower/conv", "branch5x5_2": "tower/conv_1",
      "branch3x3dbl_1": "tower_1/conv", "branch3x3dbl_2": "tower_1/conv_1",
      "branch3x3dbl_3": "tower_1/conv_2", "branch_pool": "tower_2/conv"}
_B = {"branch3x3": "conv", "branch3x3dbl_1": "tower/conv", "branch3x3dbl_2": "tower/conv_1",
      "branch3x3dbl_3": "tower/conv_2"}
_C = {"branch1x1": "conv", "branch7x7_1": "tower/conv", "branch7x7_2": "tower/conv_1",
      "branch7x7_3": "tower/conv_2", "branch7x7dbl_1": "tower_1/conv",
      "branch7x7dbl_2": "tower_1/conv_1", "branch7x7dbl_3": "tower_1/conv_2",
      "branch7x7dbl_4": "tower_1/conv_3", "branch7x7dbl_5": "tower_1/conv_4",
      "branch_pool": "tower_2/conv"}
_D = {"branch3x3_1": "tower/conv", "branch3x3_2": "tower/conv_1", "branch7x7x3_1": "tower_1/conv",
      "branch7x7x3_2": "tower_1/conv_1", "branch7x7x3_3": "tower_1/conv_2",
      "branch7x7x3_4": "tower_1/conv_3"}
_E = {"branch1x1": "conv", "branch3x3_1": "tower/conv", "branch3x3_2a": "tower/mixed/conv",
      "branch3x3_2b": "tower/mixed/conv_1", "branch3x3dbl_1": "tower_1/conv",
      "branch3x3dbl_2": "tower_1/conv_1", "branch3x3dbl_3a": "tower_1/mixed/conv",
      "branch3x3dbl_3b": "tower_1/mixed/conv_1", "branch_pool": "tower_2/conv"}
_GRAPH_BLOCKS = {"Mixed_5b": ("mixed", _A), "Mixed_5c": ("mixed_1", _A),
                 "Mixed_5d": ("mixed_2", _A), "Mixed_6a": ("mixed_3", _B),
                 "Mixed_6b": ("mixed_4", _C), "Mixed_6c": ("mixed_5", _C),
                 "Mixed_6d": ("mixed_6", _C), "Mixed_6e": ("mixed_7", _C),
                 "Mixed_7a": ("mixed_8", _D), "Mixed_7b": ("mixed_9", _E),
                 "Mixed_7c": ("mixed_10", _E)}
# graph BatchNorm constants -> torch BatchNorm entries.
_GRAPH_BATCH_NORM = {"gamma": "weight", "beta": "bias", "moving_mean": "running_mean",
                     "moving_variance": "running_var"}


def graph_scope(module: str) -> str:
  """torchvision's module name -> its scope in the 2015 graph: ``Mixed_7c.branch3x3dbl_3b`` ->
  ``mixed_10/tower_1/mixed/conv_1``; ``fc`` -> ``softmax``."""
  if module == "fc":
    return "softmax"
  if module in _GRAPH_STEM:
    return _GRAPH_STEM[module]
  block, branch = module.split(".")
  scope, branches = _GRAPH_BLOCKS[block]
  return f"{scope}/{branches[branch]}"


def from_graph_constants(constants: dict) -> dict:
  """The 2015 graph's constants {node name: array} -> pytorch-fid's state dict (torch layouts:
  conv HWIO -> OIHW, softmax [in, out] -> [out, in]). Constants that are not weights (shapes,
  concat axes, the JPEG decoder's) are left out."""
  modules = ["fc", *_GRAPH_STEM] + [f"{block}.{branch}" for block, (_, branches)
                                    in _GRAPH_BLOCKS.items() for branch in branches]
  state = {}
  for module in modules:
    scope = graph_scope(module)
    if module == "fc":
      state["fc.weight"] = constants[f"{scope}/weights"].T
      state["fc.bias"] = constants[f"{scope}/biases"]
      continue
    state[f"{module}.conv.weight"] = constants[f"{scope}/conv2d_params"].transpose(3, 2, 0, 1)
    for graph_name, torch_name in _GRAPH_BATCH_NORM.items():
      state[f"{module}.bn.{torch_name}"] = constants[f"{scope}/batchnorm/{graph_name}"]
  return state


def read_graph_constants(path: str) -> dict:
  """Every ``Const`` node of a frozen GraphDef file, parsed by TensorFlow (no graph is run)."""
  import tensorflow as tf
  graph = tf.compat.v1.GraphDef()
  with open(path, "rb") as f:
    graph.ParseFromString(f.read())
  return {node.name: tf.make_ndarray(node.attr["value"].tensor)
          for node in graph.node if node.op == "Const"}


def main() -> None:
  parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
  source = parser.add_mutually_exclusive_group(required=True)
  source.add_argument("--graph", help="classify_image_graph_def.pb (TensorFlow's, 2015-12-05)")
  source.add_argument("--pth", help="pt_inception-2015-12-05-6726825d.pth (pytorch-fid's)")
  parser.add_argument("--out", required=True, help="the .npz to write")
  args = parser.parse_args()

  from jaxgen.eval.features import fid_inception, weights

  if args.graph:
    state = from_graph_constants(read_graph_constants(args.graph))
  else:
    import torch
    state = {k: v.numpy() for k, v in
             torch.load(args.pth, map_location="cpu", weights_only=True).items()}
  variables = from_torch_state_dict(state)
  weights.save_weights(variables, args.out)
  weights.load_weights(args.out, fid_inception.FIDInceptionV3(),
                       np.zeros((1, 299, 299, 3), np.float32))  # checks every key and shape
  print(f"wrote {args.out} (sha256 {weights.file_hash(args.out)})")


if __name__ == "__main__":
  main()
