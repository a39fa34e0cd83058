"""The Flax FID Inception against pytorch-fid's ``FIDInceptionV3`` on random weights: the fixture
(scripts/make_fid_fixtures.py) holds pytorch-fid's outputs, so this runs without torch."""

import json

import jax
import numpy as np
import pytest

import fid_inception_random as fixture
from jaxgen.eval import features
from jaxgen.eval.features import fid_inception, resize, weights
from scripts import convert_fid_inception


@pytest.fixture(scope="module")
def expected():
  with np.load(fixture.FIXTURE, allow_pickle=False) as stored:
    names, shapes = zip(*json.loads(str(stored["names_shapes"])))
    return {"state": fixture.random_state_dict(fixture.SEED, list(names), list(shapes)),
            "pool3": stored["pool3"], "logits": stored["logits"]}


def test_the_converted_state_dict_is_exactly_the_flax_networks_variables(expected, tmp_path):
  variables = convert_fid_inception.from_torch_state_dict(expected["state"])
  path = str(tmp_path / "random.npz")
  weights.save_weights(variables, path)
  loaded = weights.load_weights(path, fid_inception.FIDInceptionV3(),
                                jax.ShapeDtypeStruct((1, 299, 299, 3), np.float32))
  assert jax.tree.structure(loaded) == jax.tree.structure(variables)
  conv = expected["state"]["Mixed_6b.branch7x7_2.conv.weight"]  # [O, I, 1, 7] -> [1, 7, I, O]
  np.testing.assert_array_equal(
      loaded["params"]["Mixed_6b"]["branch7x7_2"]["conv"]["kernel"], conv.transpose(2, 3, 1, 0))


def test_pool3_and_logits_match_pytorch_fid(expected):
  variables = convert_fid_inception.from_torch_state_dict(expected["state"])
  out = jax.jit(fid_inception.FIDInceptionV3().apply)(variables,
                                                      fixture.random_images(fixture.SEED))
  for name in ("pool3", "logits"):
    want = expected[name]
    assert out[name].shape == want.shape
    scale = np.abs(want).max()
    np.testing.assert_allclose(np.asarray(out[name]), want, rtol=1e-4, atol=1e-4 * scale,
                               err_msg=name)


# Scopes as the 2015 graph's node list spells them, one or two per block kind.
@pytest.mark.parametrize("module, scope", [
    ("Conv2d_4a_3x3", "conv_4"), ("Mixed_5b.branch5x5_2", "mixed/tower/conv_1"),
    ("Mixed_6a.branch3x3dbl_3", "mixed_3/tower/conv_2"),
    ("Mixed_6e.branch7x7dbl_5", "mixed_7/tower_1/conv_4"),
    ("Mixed_7a.branch7x7x3_4", "mixed_8/tower_1/conv_3"),
    ("Mixed_7c.branch3x3dbl_3b", "mixed_10/tower_1/mixed/conv_1"),
    ("Mixed_7c.branch_pool", "mixed_10/tower_2/conv"), ("fc", "softmax")])
def test_graph_scopes_of_torchvision_modules(module, scope):
  assert convert_fid_inception.graph_scope(module) == scope


def test_a_frozen_graph_converts_to_the_same_weights_as_the_pth(expected, tmp_path):
  tf = pytest.importorskip("tensorflow")
  graph = tf.compat.v1.GraphDef()

  def constant(name, value):
    node = graph.node.add(name=name, op="Const")
    node.attr["value"].tensor.CopyFrom(tf.make_tensor_proto(value))

  batch_norm = {"weight": "gamma", "bias": "beta", "running_mean": "moving_mean",
                "running_var": "moving_variance"}
  for name, value in expected["state"].items():  # written in the graph's names and layouts
    *module, kind, leaf = name.split(".")  # Mixed_7c.branch_pool.conv.weight, fc.bias
    scope = convert_fid_inception.graph_scope(".".join(module)) if module else "softmax"
    if kind == "fc":
      constant(f"{scope}/{'weights' if leaf == 'weight' else 'biases'}",
               value.T if leaf == "weight" else value)
    elif kind == "conv":
      constant(f"{scope}/conv2d_params", value.transpose(2, 3, 1, 0))
    elif leaf in batch_norm:
      constant(f"{scope}/batchnorm/{batch_norm[leaf]}", value)
  constant("mixed_10/join/concat_dim", np.int32(3))  # not a weight: left out
  path = tmp_path / "classify_image_graph_def.pb"
  path.write_bytes(graph.SerializeToString())
  state = convert_fid_inception.from_graph_constants(
      convert_fid_inception.read_graph_constants(str(path)))
  from_graph = convert_fid_inception.from_torch_state_dict(state)
  from_pth = convert_fid_inception.from_torch_state_dict(expected["state"])
  jax.tree.map(np.testing.assert_array_equal, from_graph, from_pth)


@pytest.mark.parametrize("size", fixture.RESIZE_INPUT_SIZES)
def test_resize_modes_match_their_reference_implementations(size):
  images = fixture.resize_inputs(size)
  with np.load(fixture.RESIZE_FIXTURE, allow_pickle=False) as stored:
    pytorch, clean = stored[f"pytorch_fid_{size}"], stored[f"clean_{size}"]
  ours = resize.bilinear(images, fixture.RESIZE_SIZE, half_pixel=True)
  np.testing.assert_allclose(ours, pytorch, atol=2e-5)  # torch's F.interpolate (float32 weights)
  np.testing.assert_allclose(resize.clean_resize(images, fixture.RESIZE_SIZE), clean, atol=1e-4)
  tf = pytest.importorskip("tensorflow")  # TF1's ResizeBilinear, as in the 2015 graph
  legacy = tf.compat.v1.image.resize_bilinear(images * 255.0, (fixture.RESIZE_SIZE,) * 2,
                                              align_corners=False, half_pixel_centers=False)
  np.testing.assert_allclose(resize.bilinear(images * 255.0, fixture.RESIZE_SIZE,
                                             half_pixel=False), legacy.numpy(), atol=5e-3)
  # The modes differ: the convention matters (clean-fid's point).
  assert np.abs(ours * 255.0 - legacy.numpy()).max() > 1.0


def test_network_input_scaling_per_mode():
  images = np.full((1, 8, 8, 1), 128 / 255, np.float32)
  for mode, expected in (("legacy_tf", 0.0), ("clean", 0.0), ("pytorch_fid", 2 * 128 / 255 - 1)):
    x = resize.to_network_input(images, mode)
    assert x.shape == (1, 299, 299, 3)
    np.testing.assert_allclose(x, expected, atol=1e-5, err_msg=mode)


@pytest.fixture(scope="module")
def random_weights(expected, tmp_path_factory):
  path = str(tmp_path_factory.mktemp("fid") / "random.npz")
  weights.save_weights(convert_fid_inception.from_torch_state_dict(expected["state"]), path)
  return path


def test_the_extractor_is_the_network_after_its_resize_mode(random_weights, monkeypatch):
  """``get_extractor("inception")``: the weights from $JAXGEN_FID_WEIGHTS, images in [0, 1]
  resized by ``mode``; grey images as 3 equal channels; the mode and the hash in describe().
  One mode (the default, resized under jit): the others' resizing is checked above, and each
  mode compiles the whole network again."""
  mode = "legacy_tf"
  monkeypatch.setenv(fid_inception.WEIGHTS_ENV, random_weights)
  extractor = features.get_extractor("inception", resize=mode, batch_size=2)
  images = fixture.resize_inputs(32, num=2)[..., :1]
  variables = weights.load_weights(random_weights, fid_inception.FIDInceptionV3(),
                                   jax.ShapeDtypeStruct((1, 299, 299, 3), np.float32))
  network_input = np.asarray(resize.to_network_input(images, mode))
  direct = jax.jit(fid_inception.FIDInceptionV3().apply)(variables, network_input)
  np.testing.assert_allclose(extractor.features(images), direct["pool3"], rtol=1e-4, atol=1e-3)
  probabilities = extractor.class_probabilities(images)
  assert probabilities.shape == (2, 1008)
  np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, rtol=1e-5)
  assert extractor.describe() == {"extractor": "inception", "network": "inception-2015-12-05",
                                  "weights_hash": weights.file_hash(random_weights),
                                  "resize": mode}


def test_missing_fid_weights_are_named_before_any_work(monkeypatch, tmp_path):
  from jaxgen.errors import CheckpointError

  monkeypatch.delenv(fid_inception.WEIGHTS_ENV, raising=False)
  with pytest.raises(CheckpointError, match=r"\$JAXGEN_FID_WEIGHTS is not set.*convert_fid"):
    features.check_available("inception")
  monkeypatch.setenv(fid_inception.WEIGHTS_ENV, str(tmp_path / "absent.npz"))
  with pytest.raises(CheckpointError, match="absent.npz' does not exist"):
    features.check_available("inception")
  features.check_available("digits")  # ships with jaxgen
