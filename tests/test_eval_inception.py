"""Inception-v3 in Flax against Keras's InceptionV3, with random weights (no download).

The Keras model gets random BatchNorm offsets and moving statistics too, so every array the
converter maps is one the comparison depends on; the .npz is written by the converter's CLI.
TensorFlow is imported by the ``tf`` fixture, not at collection (it takes ~10 s to import).
"""

import hashlib
import warnings

import jax.numpy as jnp
import numpy as np
import pytest
from flax import traverse_util

from jaxgen.errors import CheckpointError, ConfigError, DataError
from jaxgen.eval.features import inception
from jaxgen.eval.features.weights import save_weights


@pytest.fixture(scope="module")
def tf():
  import tensorflow
  return tensorflow


@pytest.fixture(scope="module")
def keras_model(tf):
  tf.keras.utils.set_random_seed(0)
  model = tf.keras.applications.InceptionV3(weights=None)
  rng = np.random.default_rng(0)
  for layer in model.layers:
    if isinstance(layer, tf.keras.layers.BatchNormalization):
      size = layer.beta.shape
      layer.beta.assign(rng.normal(0.0, 0.2, size).astype(np.float32))
      layer.moving_mean.assign(rng.normal(0.0, 0.2, size).astype(np.float32))
      layer.moving_variance.assign(rng.uniform(0.2, 1.0, size).astype(np.float32))
  model.get_layer("predictions").bias.assign(rng.normal(0.0, 1.0, 1000).astype(np.float32))
  return model


@pytest.fixture(scope="module")
def weights_path(keras_model, tmp_path_factory):
  directory = tmp_path_factory.mktemp("inception")
  with warnings.catch_warnings():
    # Keras 3's own saving calls np.array on variables in a way numpy 2 deprecates.
    warnings.simplefilter("ignore", DeprecationWarning)
    keras_model.save_weights(str(directory / "keras.weights.h5"))
  out = str(directory / "inception_v3.npz")
  from jaxgen.eval.features import convert_keras_inception
  convert_keras_inception.main(["--keras-weights", str(directory / "keras.weights.h5"),
                                "--out", out])
  return out


@pytest.fixture(scope="module")
def extractor(weights_path):
  # 3 images in batches of 2: the second batch is padded, as any N not a multiple would be.
  return inception.KerasInceptionExtractor(weights_path, batch_size=2)


def test_features_and_probabilities_match_keras(tf, keras_model, weights_path, extractor):
  images = np.random.default_rng(1).uniform(size=(3, 40, 48, 3)).astype(np.float32)
  keras_input = np.asarray(inception.preprocess(images))
  pool_and_probabilities = tf.keras.Model(
      keras_model.input, [keras_model.get_layer("avg_pool").output, keras_model.output])
  keras_pool, keras_probabilities = [
      np.asarray(output) for output in pool_and_probabilities(keras_input, training=False)]
  dense = keras_model.get_layer("predictions")
  keras_logits = (keras_pool.astype(np.float64) @ dense.kernel.numpy().astype(np.float64)
                  + dense.bias.numpy().astype(np.float64))

  pool = extractor.features(images)
  assert pool.shape == (3, 2048) and pool.dtype == np.float32
  assert np.abs(pool - keras_pool).max() <= 1e-4
  assert np.abs(pool - keras_pool).max() <= 1e-5 * np.abs(keras_pool).max()
  probabilities = extractor.class_probabilities(images)
  assert probabilities.shape == (3, 1000)
  np.testing.assert_allclose(probabilities, keras_probabilities, rtol=1e-4, atol=1e-6)
  # The logits are the converted Dense head on the pool features checked above.
  with np.load(weights_path, allow_pickle=False) as stored:
    logits = pool @ stored["params/logits/kernel"] + stored["params/logits/bias"]
  np.testing.assert_allclose(logits, keras_logits, rtol=1e-5, atol=1e-4)


def test_describe_records_weights_hash_and_resize(weights_path, extractor):
  with open(weights_path, "rb") as f:
    expected_hash = hashlib.sha256(f.read()).hexdigest()[:16]
  assert extractor.describe() == {"extractor": "inception_keras", "weights_hash": expected_hash,
                                  "resize": "bilinear"}


def test_extractor_rejects_images_outside_unit_range(extractor):
  with pytest.raises(DataError, match=r"\[0, 1\]"):
    extractor.features(np.full((1, 8, 8, 3), 255.0, np.float32))


def test_preprocess_repeats_grey_and_matches_tf_resize(tf):
  grey = np.random.default_rng(2).uniform(size=(2, 20, 24, 1)).astype(np.float32)
  processed = np.asarray(inception.preprocess(grey))
  assert processed.shape == (2, 299, 299, 3)
  assert np.array_equal(processed[..., 0], processed[..., 1])
  assert np.array_equal(processed[..., 0], processed[..., 2])
  assert processed.min() >= -1.0 and processed.max() <= 1.0
  expected = tf.image.resize(grey, (299, 299), "bilinear").numpy() * 2.0 - 1.0
  np.testing.assert_allclose(processed[..., :1], expected, atol=1e-5)


def test_preprocess_downsizes_without_antialiasing_as_tf_resize(tf):
  images = np.random.default_rng(3).uniform(size=(1, 320, 310, 3)).astype(np.float32)
  expected = tf.image.resize(images, (299, 299), "bilinear").numpy() * 2.0 - 1.0
  # Up to float rounding of the sampling positions, which moves a few pixels by ~3e-5.
  np.testing.assert_allclose(inception.preprocess(images), expected, atol=1e-4)


def test_preprocess_rejects_bad_channels_and_resize_method():
  with pytest.raises(DataError, match="C = 1 or 3"):
    inception.preprocess(jnp.zeros((1, 8, 8, 2)))
  with pytest.raises(ConfigError, match="bilinear"):
    inception.preprocess(jnp.zeros((1, 8, 8, 3)), resize="area")


def test_wrong_shape_in_weights_file_is_a_checkpoint_error(weights_path, tmp_path):
  with np.load(weights_path, allow_pickle=False) as stored:
    arrays = {key: stored[key] for key in stored.files}
  arrays["params/logits/kernel"] = arrays["params/logits/kernel"][:, :10]
  save_weights(traverse_util.unflatten_dict(arrays, sep="/"), str(tmp_path / "bad.npz"))
  with pytest.raises(CheckpointError, match=r"params/logits/kernel.*\(2048, 1000\).*\(2048, 10\)"):
    inception.KerasInceptionExtractor(str(tmp_path / "bad.npz"))


def test_default_weights_path_needs_the_environment_variable(monkeypatch):
  monkeypatch.delenv(inception.WEIGHTS_ENV, raising=False)
  with pytest.raises(CheckpointError, match="JAXGEN_KERAS_INCEPTION_WEIGHTS.*convert_keras_inception"):
    inception.default_weights_path()
  monkeypatch.setenv(inception.WEIGHTS_ENV, "/data/inception_v3.npz")
  assert inception.default_weights_path() == "/data/inception_v3.npz"
