"""The Flax FID Inception against pytorch-fid's ``FIDInceptionV3`` on random weights: the fixture
(scripts/make_fid_inception_fixture.py) holds pytorch-fid's outputs, so this runs without torch."""

import json

import jax
import numpy as np
import pytest

import fid_inception_random as fixture
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
