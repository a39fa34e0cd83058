"""Keras's ImageNet Inception-v3 in Flax (extractor ``inception_keras``): NOT the network of
published FIDs and Inception Scores, which is the 2015 TensorFlow graph (``fid_inception.py``,
extractor ``inception``). Kept for features on ImageNet's 1000 classes.

The architecture is Keras's ``InceptionV3(include_top=True)`` layer for layer, so its ImageNet
weights carry over exactly: every convolution has no bias and is followed by a BatchNorm without
scale (epsilon 1e-3, Keras's default) and a ReLU; blocks ``mixed0`` .. ``mixed10`` as in Keras
(3x3 average pools that do not count the padding, as TensorFlow's); the global average pool of
``mixed10`` is the 2048-d "pool3" feature, and a Dense layer gives the 1000 ImageNet logits for the
Inception Score. Inference only: BatchNorm uses the stored moving statistics.

Weights are never downloaded at run time. Convert Keras's standard file once, offline, with
``python -m jaxgen.eval.features.convert_keras_inception`` (see that module) into an .npz of plain
arrays keyed by Flax variable path joined by "/" (``params/mixed0/ConvBN_0/Conv_0/kernel``,
``batch_stats/mixed0/ConvBN_0/BatchNorm_0/mean``), and point ``$JAXGEN_KERAS_INCEPTION_WEIGHTS`` at
it.
"""

import functools
import os

import flax.linen as nn
import jax
import jax.numpy as jnp

from jaxgen.errors import CheckpointError, ConfigError, DataError
from jaxgen.eval.features.weights import (BatchedExtractor, file_hash, load_weights,
                                          path_from_environment)

WEIGHTS_ENV = "JAXGEN_KERAS_INCEPTION_WEIGHTS"
INPUT_SIZE = 299
RESIZE_METHODS = ("bilinear", "nearest", "bicubic")
BATCH_NORM_EPSILON = 1e-3  # Keras's default, which the ImageNet weights were trained with.
CONVERT_COMMAND = ("python -m jaxgen.eval.features.convert_keras_inception --keras-weights "
                   "inception_v3_weights_tf_dim_ordering_tf_kernels.h5 --out inception_v3.npz")


class ConvBN(nn.Module):
  """Keras ``conv2d_bn``: x: [B, H, W, C] -> [B, H', W', features]."""
  features: int
  kernel_size: tuple[int, int]
  strides: tuple[int, int] = (1, 1)
  padding: str = "SAME"

  @nn.compact
  def __call__(self, x: jax.Array) -> jax.Array:
    x = nn.Conv(self.features, self.kernel_size, self.strides, self.padding, use_bias=False)(x)
    x = nn.BatchNorm(use_running_average=True, use_scale=False, epsilon=BATCH_NORM_EPSILON)(x)
    return nn.relu(x)


def _average_pool_3x3(x: jax.Array) -> jax.Array:
  # TensorFlow's "same" average pool divides by the number of pixels inside the image.
  return nn.avg_pool(x, (3, 3), strides=(1, 1), padding="SAME", count_include_pad=False)


def _max_pool_3x3(x: jax.Array) -> jax.Array:
  return nn.max_pool(x, (3, 3), strides=(2, 2))


class InceptionA(nn.Module):
  """mixed0-2: x: [B, 35, 35, C] -> [B, 35, 35, 224 + pool_features]."""
  pool_features: int

  @nn.compact
  def __call__(self, x: jax.Array) -> jax.Array:
    branch1x1 = ConvBN(64, (1, 1))(x)
    branch5x5 = ConvBN(48, (1, 1))(x)
    branch5x5 = ConvBN(64, (5, 5))(branch5x5)
    branch3x3dbl = ConvBN(64, (1, 1))(x)
    branch3x3dbl = ConvBN(96, (3, 3))(branch3x3dbl)
    branch3x3dbl = ConvBN(96, (3, 3))(branch3x3dbl)
    branch_pool = ConvBN(self.pool_features, (1, 1))(_average_pool_3x3(x))
    return jnp.concatenate([branch1x1, branch5x5, branch3x3dbl, branch_pool], axis=-1)


class InceptionB(nn.Module):
  """mixed3, grid reduction: x: [B, 35, 35, 288] -> [B, 17, 17, 768]."""

  @nn.compact
  def __call__(self, x: jax.Array) -> jax.Array:
    branch3x3 = ConvBN(384, (3, 3), (2, 2), "VALID")(x)
    branch3x3dbl = ConvBN(64, (1, 1))(x)
    branch3x3dbl = ConvBN(96, (3, 3))(branch3x3dbl)
    branch3x3dbl = ConvBN(96, (3, 3), (2, 2), "VALID")(branch3x3dbl)
    return jnp.concatenate([branch3x3, branch3x3dbl, _max_pool_3x3(x)], axis=-1)


class InceptionC(nn.Module):
  """mixed4-7, factorised 7x7: x: [B, 17, 17, 768] -> [B, 17, 17, 768]."""
  channels_7x7: int

  @nn.compact
  def __call__(self, x: jax.Array) -> jax.Array:
    width = self.channels_7x7
    branch1x1 = ConvBN(192, (1, 1))(x)
    branch7x7 = ConvBN(width, (1, 1))(x)
    branch7x7 = ConvBN(width, (1, 7))(branch7x7)
    branch7x7 = ConvBN(192, (7, 1))(branch7x7)
    branch7x7dbl = ConvBN(width, (1, 1))(x)
    for kernel_size in ((7, 1), (1, 7), (7, 1)):
      branch7x7dbl = ConvBN(width, kernel_size)(branch7x7dbl)
    branch7x7dbl = ConvBN(192, (1, 7))(branch7x7dbl)
    branch_pool = ConvBN(192, (1, 1))(_average_pool_3x3(x))
    return jnp.concatenate([branch1x1, branch7x7, branch7x7dbl, branch_pool], axis=-1)


class InceptionD(nn.Module):
  """mixed8, grid reduction: x: [B, 17, 17, 768] -> [B, 8, 8, 1280]."""

  @nn.compact
  def __call__(self, x: jax.Array) -> jax.Array:
    branch3x3 = ConvBN(192, (1, 1))(x)
    branch3x3 = ConvBN(320, (3, 3), (2, 2), "VALID")(branch3x3)
    branch7x7x3 = ConvBN(192, (1, 1))(x)
    branch7x7x3 = ConvBN(192, (1, 7))(branch7x7x3)
    branch7x7x3 = ConvBN(192, (7, 1))(branch7x7x3)
    branch7x7x3 = ConvBN(192, (3, 3), (2, 2), "VALID")(branch7x7x3)
    return jnp.concatenate([branch3x3, branch7x7x3, _max_pool_3x3(x)], axis=-1)


class InceptionE(nn.Module):
  """mixed9-10, expanded filter bank: x: [B, 8, 8, C] -> [B, 8, 8, 2048]."""

  @nn.compact
  def __call__(self, x: jax.Array) -> jax.Array:
    branch1x1 = ConvBN(320, (1, 1))(x)
    branch3x3 = ConvBN(384, (1, 1))(x)
    branch3x3 = jnp.concatenate(
        [ConvBN(384, (1, 3))(branch3x3), ConvBN(384, (3, 1))(branch3x3)], axis=-1)
    branch3x3dbl = ConvBN(448, (1, 1))(x)
    branch3x3dbl = ConvBN(384, (3, 3))(branch3x3dbl)
    branch3x3dbl = jnp.concatenate(
        [ConvBN(384, (1, 3))(branch3x3dbl), ConvBN(384, (3, 1))(branch3x3dbl)], axis=-1)
    branch_pool = ConvBN(192, (1, 1))(_average_pool_3x3(x))
    return jnp.concatenate([branch1x1, branch3x3, branch3x3dbl, branch_pool], axis=-1)


class InceptionV3(nn.Module):
  """x: [B, 299, 299, 3] in [-1, 1] -> {"pool": [B, 2048], "logits": [B, num_classes]}.

  Matmuls and convolutions use jax's default precision; ``KerasInceptionExtractor`` asks for
  "highest" so that features do not depend on an accelerator's TF32/bfloat16 default.
  """
  num_classes: int = 1000

  @nn.compact
  def __call__(self, x: jax.Array) -> dict[str, jax.Array]:
    x = ConvBN(32, (3, 3), (2, 2), "VALID")(x)
    x = ConvBN(32, (3, 3), padding="VALID")(x)
    x = ConvBN(64, (3, 3))(x)
    x = _max_pool_3x3(x)
    x = ConvBN(80, (1, 1), padding="VALID")(x)
    x = ConvBN(192, (3, 3), padding="VALID")(x)
    x = _max_pool_3x3(x)
    for index, pool_features in enumerate((32, 64, 64)):
      x = InceptionA(pool_features, name=f"mixed{index}")(x)
    x = InceptionB(name="mixed3")(x)
    for index, channels_7x7 in enumerate((128, 160, 160, 192), start=4):
      x = InceptionC(channels_7x7, name=f"mixed{index}")(x)
    x = InceptionD(name="mixed8")(x)
    x = InceptionE(name="mixed9")(x)
    x = InceptionE(name="mixed10")(x)
    pool = jnp.mean(x, axis=(1, 2))
    return {"pool": pool, "logits": nn.Dense(self.num_classes, name="logits")(pool)}


def preprocess(images: jax.Array, resize: str = "bilinear") -> jax.Array:
  """images: [B, H, W, C] in [0, 1], C = 1 or 3 -> [B, 299, 299, 3] in [-1, 1].

  Grey images are repeated to 3 channels. ``resize`` is a ``jax.image.resize`` method: "bilinear"
  (the FID convention), "nearest" or "bicubic", with half-pixel centres and no antialiasing, as
  ``tf.image.resize`` and PyTorch's ``interpolate(align_corners=False)`` (pytorch-fid) do; TF1's
  ``resize_bilinear`` in the original TTUR code samples differently. The method changes FID, so
  ``KerasInceptionExtractor.describe`` records it. Bicubic can overshoot [0, 1]; the result is clipped.
  """
  _check_resize(resize)
  images = jnp.asarray(images, jnp.float32)
  _check_image_shape(images.shape, "inception preprocess")
  batch, _, _, channels = images.shape
  resized = jax.image.resize(images, (batch, INPUT_SIZE, INPUT_SIZE, channels), resize,
                             antialias=False)
  # Grey is repeated after resizing: resizing 3 copies can round differently per channel.
  resized = jnp.broadcast_to(resized, (batch, INPUT_SIZE, INPUT_SIZE, 3))
  return jnp.clip(resized, 0.0, 1.0) * 2.0 - 1.0


def _check_resize(resize: str) -> None:
  if resize not in RESIZE_METHODS:
    raise ConfigError(f"resize: expected one of {', '.join(RESIZE_METHODS)}, got {resize!r}")


def _check_image_shape(shape: tuple, caller: str) -> None:
  if len(shape) != 4 or shape[-1] not in (1, 3):
    raise DataError(f"{caller}: expected images [N, H, W, C] with C = 1 or 3, got shape "
                    f"{list(shape)}")


def default_weights_path() -> str:
  """The Keras Inception-v3 .npz named by ``$JAXGEN_KERAS_INCEPTION_WEIGHTS``."""
  return path_from_environment(WEIGHTS_ENV, "Keras's Inception-v3 .npz", CONVERT_COMMAND)


def example_input() -> jax.ShapeDtypeStruct:
  """The input shape ``InceptionV3.init`` is traced with to get the variable structure."""
  return jax.ShapeDtypeStruct((1, INPUT_SIZE, INPUT_SIZE, 3), jnp.float32)


def load_variables(weights_path: str) -> dict:
  """The Flax variables in the .npz at ``weights_path``, every key and shape checked."""
  if not os.path.isfile(weights_path):
    raise CheckpointError(f"Inception weights {weights_path!r} not found: expected an .npz made "
                          f"with `{CONVERT_COMMAND}`")
  return load_weights(weights_path, InceptionV3(), example_input())


def _forward(variables, images: jax.Array, resize: str) -> dict[str, jax.Array]:
  """images: [B, H, W, C] in [0, 1] -> {"features": [B, 2048] pool, "probabilities": [B, 1000]}."""
  with jax.default_matmul_precision("highest"):
    outputs = InceptionV3().apply(variables, preprocess(images, resize))
  return {"features": outputs["pool"], "probabilities": jax.nn.softmax(outputs["logits"])}


class KerasInceptionExtractor(BatchedExtractor):
  """Pool3 features and ImageNet class probabilities of images in [0, 1] (not the FID network).

  Images of any size go through one jitted function in batches of ``min(batch_size, N)``, the last
  one padded, so each image shape compiles once.
  """
  name = "inception_keras"
  feature_dim = 2048
  num_classes = 1000

  def __init__(self, weights_path: str, resize: str = "bilinear", batch_size: int = 64):
    _check_resize(resize)
    if batch_size < 1:
      raise ConfigError(f"batch_size: expected a value >= 1, got {batch_size}")
    self.weights_path = weights_path
    self.resize = resize
    self.batch_size = batch_size
    self._variables = load_variables(weights_path)
    self.weights_hash = file_hash(weights_path)
    self._forward = jax.jit(functools.partial(_forward, resize=resize))

  def describe(self) -> dict:
    return {"extractor": self.name, "weights_hash": self.weights_hash, "resize": self.resize}
