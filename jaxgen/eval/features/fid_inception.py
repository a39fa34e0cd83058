"""The FID Inception in Flax: the TensorFlow Inception graph of 2015-12-05 that published FIDs and
Inception Scores use (TTUR's ``fid.py``, TF-GAN), layer for layer as pytorch-fid's
``FIDInceptionV3`` has it, with torchvision's module names so its weights map one to one.

It is torchvision's Inception-v3 with 1008 classes and three quirks of the 2015 graph: the 3x3
average pools of Mixed_5b-d, Mixed_6b-e and Mixed_7b do not count the padding, and Mixed_7c's
pooling branch is a 3x3 max pool. Every convolution has no bias and is followed by a BatchNorm
(epsilon 1e-3, with scale) and a ReLU. ``pool3`` is the 2048-d global average pool of Mixed_7c;
``logits`` the 1008 outputs of ``fc``. Inference only: BatchNorm uses the stored statistics.

Input: images [B, 299, 299, 3] already resized and scaled to [-1, 1] (see ``resize.py``).
Weights are never downloaded at run time: convert the 2015 graph or pytorch-fid's port of it once
(``scripts/convert_fid_inception.py``) and point ``$JAXGEN_FID_WEIGHTS`` at the .npz.
"""

import functools

import flax.linen as nn
import jax
import jax.numpy as jnp
import numpy as np

from jaxgen.errors import ConfigError
from jaxgen.eval.features import resize as resize_lib
from jaxgen.eval.features import weights

NUM_CLASSES = 1008
BATCH_NORM_EPSILON = 1e-3


class BasicConv2d(nn.Module):
  """torchvision's ``BasicConv2d``: x: [B, H, W, C] -> [B, H', W', features]."""
  features: int
  kernel_size: tuple[int, int]
  strides: tuple[int, int] = (1, 1)
  padding: tuple[int, int] = (0, 0)  # rows, columns on each side

  @nn.compact
  def __call__(self, x: jax.Array) -> jax.Array:
    (rows, columns) = self.padding
    x = nn.Conv(self.features, self.kernel_size, self.strides,
                padding=((rows, rows), (columns, columns)), use_bias=False, name="conv")(x)
    x = nn.BatchNorm(use_running_average=True, epsilon=BATCH_NORM_EPSILON, name="bn")(x)
    return nn.relu(x)


def _average_pool(x: jax.Array) -> jax.Array:
  """3x3, stride 1, padding 1, the padding not counted (the 2015 graph's quirk)."""
  return nn.avg_pool(x, (3, 3), strides=(1, 1), padding=((1, 1), (1, 1)), count_include_pad=False)


def _max_pool(x: jax.Array, stride: int = 2, padding: int = 0) -> jax.Array:
  return nn.max_pool(x, (3, 3), strides=(stride, stride),
                     padding=((padding, padding), (padding, padding)))


class InceptionA(nn.Module):
  """Mixed_5b-d: x: [B, 35, 35, C] -> [B, 35, 35, 224 + pool_features]."""
  pool_features: int

  @nn.compact
  def __call__(self, x: jax.Array) -> jax.Array:
    branch1x1 = BasicConv2d(64, (1, 1), name="branch1x1")(x)
    branch5x5 = BasicConv2d(48, (1, 1), name="branch5x5_1")(x)
    branch5x5 = BasicConv2d(64, (5, 5), padding=(2, 2), name="branch5x5_2")(branch5x5)
    dbl = BasicConv2d(64, (1, 1), name="branch3x3dbl_1")(x)
    dbl = BasicConv2d(96, (3, 3), padding=(1, 1), name="branch3x3dbl_2")(dbl)
    dbl = BasicConv2d(96, (3, 3), padding=(1, 1), name="branch3x3dbl_3")(dbl)
    pool = BasicConv2d(self.pool_features, (1, 1), name="branch_pool")(_average_pool(x))
    return jnp.concatenate([branch1x1, branch5x5, dbl, pool], axis=-1)


class InceptionB(nn.Module):
  """Mixed_6a, grid reduction: x: [B, 35, 35, 288] -> [B, 17, 17, 768]."""

  @nn.compact
  def __call__(self, x: jax.Array) -> jax.Array:
    branch3x3 = BasicConv2d(384, (3, 3), (2, 2), name="branch3x3")(x)
    dbl = BasicConv2d(64, (1, 1), name="branch3x3dbl_1")(x)
    dbl = BasicConv2d(96, (3, 3), padding=(1, 1), name="branch3x3dbl_2")(dbl)
    dbl = BasicConv2d(96, (3, 3), (2, 2), name="branch3x3dbl_3")(dbl)
    return jnp.concatenate([branch3x3, dbl, _max_pool(x)], axis=-1)


class InceptionC(nn.Module):
  """Mixed_6b-e, factorised 7x7: x: [B, 17, 17, 768] -> [B, 17, 17, 768]."""
  channels_7x7: int

  @nn.compact
  def __call__(self, x: jax.Array) -> jax.Array:
    c7 = self.channels_7x7
    branch1x1 = BasicConv2d(192, (1, 1), name="branch1x1")(x)
    b7 = BasicConv2d(c7, (1, 1), name="branch7x7_1")(x)
    b7 = BasicConv2d(c7, (1, 7), padding=(0, 3), name="branch7x7_2")(b7)
    b7 = BasicConv2d(192, (7, 1), padding=(3, 0), name="branch7x7_3")(b7)
    dbl = BasicConv2d(c7, (1, 1), name="branch7x7dbl_1")(x)
    dbl = BasicConv2d(c7, (7, 1), padding=(3, 0), name="branch7x7dbl_2")(dbl)
    dbl = BasicConv2d(c7, (1, 7), padding=(0, 3), name="branch7x7dbl_3")(dbl)
    dbl = BasicConv2d(c7, (7, 1), padding=(3, 0), name="branch7x7dbl_4")(dbl)
    dbl = BasicConv2d(192, (1, 7), padding=(0, 3), name="branch7x7dbl_5")(dbl)
    pool = BasicConv2d(192, (1, 1), name="branch_pool")(_average_pool(x))
    return jnp.concatenate([branch1x1, b7, dbl, pool], axis=-1)


class InceptionD(nn.Module):
  """Mixed_7a, grid reduction: x: [B, 17, 17, 768] -> [B, 8, 8, 1280]."""

  @nn.compact
  def __call__(self, x: jax.Array) -> jax.Array:
    b3 = BasicConv2d(192, (1, 1), name="branch3x3_1")(x)
    b3 = BasicConv2d(320, (3, 3), (2, 2), name="branch3x3_2")(b3)
    b7 = BasicConv2d(192, (1, 1), name="branch7x7x3_1")(x)
    b7 = BasicConv2d(192, (1, 7), padding=(0, 3), name="branch7x7x3_2")(b7)
    b7 = BasicConv2d(192, (7, 1), padding=(3, 0), name="branch7x7x3_3")(b7)
    b7 = BasicConv2d(192, (3, 3), (2, 2), name="branch7x7x3_4")(b7)
    return jnp.concatenate([b3, b7, _max_pool(x)], axis=-1)


class InceptionE(nn.Module):
  """Mixed_7b (``max_pool=False``) and Mixed_7c (True, the graph's max-pool branch):
  x: [B, 8, 8, C] -> [B, 8, 8, 2048]."""
  max_pool: bool

  @nn.compact
  def __call__(self, x: jax.Array) -> jax.Array:
    branch1x1 = BasicConv2d(320, (1, 1), name="branch1x1")(x)
    b3 = BasicConv2d(384, (1, 1), name="branch3x3_1")(x)
    b3 = jnp.concatenate([BasicConv2d(384, (1, 3), padding=(0, 1), name="branch3x3_2a")(b3),
                          BasicConv2d(384, (3, 1), padding=(1, 0), name="branch3x3_2b")(b3)], -1)
    dbl = BasicConv2d(448, (1, 1), name="branch3x3dbl_1")(x)
    dbl = BasicConv2d(384, (3, 3), padding=(1, 1), name="branch3x3dbl_2")(dbl)
    dbl = jnp.concatenate([BasicConv2d(384, (1, 3), padding=(0, 1), name="branch3x3dbl_3a")(dbl),
                           BasicConv2d(384, (3, 1), padding=(1, 0), name="branch3x3dbl_3b")(dbl)],
                          -1)
    pooled = _max_pool(x, stride=1, padding=1) if self.max_pool else _average_pool(x)
    pool = BasicConv2d(192, (1, 1), name="branch_pool")(pooled)
    return jnp.concatenate([branch1x1, b3, dbl, pool], axis=-1)


class FIDInceptionV3(nn.Module):
  """x: [B, 299, 299, 3] in [-1, 1] -> {"pool3": [B, 2048], "logits": [B, 1008]}."""

  @nn.compact
  def __call__(self, x: jax.Array) -> dict:
    x = BasicConv2d(32, (3, 3), (2, 2), name="Conv2d_1a_3x3")(x)
    x = BasicConv2d(32, (3, 3), name="Conv2d_2a_3x3")(x)
    x = BasicConv2d(64, (3, 3), padding=(1, 1), name="Conv2d_2b_3x3")(x)
    x = _max_pool(x)
    x = BasicConv2d(80, (1, 1), name="Conv2d_3b_1x1")(x)
    x = BasicConv2d(192, (3, 3), name="Conv2d_4a_3x3")(x)
    x = _max_pool(x)
    for name, pool_features in (("Mixed_5b", 32), ("Mixed_5c", 64), ("Mixed_5d", 64)):
      x = InceptionA(pool_features, name=name)(x)
    x = InceptionB(name="Mixed_6a")(x)
    for name, channels in (("Mixed_6b", 128), ("Mixed_6c", 160), ("Mixed_6d", 160),
                           ("Mixed_6e", 192)):
      x = InceptionC(channels, name=name)(x)
    x = InceptionD(name="Mixed_7a")(x)
    x = InceptionE(max_pool=False, name="Mixed_7b")(x)
    x = InceptionE(max_pool=True, name="Mixed_7c")(x)
    pool3 = jnp.mean(x, axis=(1, 2))
    return {"pool3": pool3, "logits": nn.Dense(NUM_CLASSES, name="fc")(pool3)}


WEIGHTS_ENV = "JAXGEN_FID_WEIGHTS"
CONVERT_COMMAND = ("python scripts/convert_fid_inception.py --graph classify_image_graph_def.pb "
                   "--out fid_inception.npz")


def default_weights_path() -> str:
  """The FID Inception .npz named by ``$JAXGEN_FID_WEIGHTS``."""
  return weights.path_from_environment(WEIGHTS_ENV, "the FID Inception .npz", CONVERT_COMMAND)


def _forward(variables, images: jax.Array, mode: str) -> dict:
  """images: [B, H, W, C] in [0, 1] ([B, 299, 299, 3] network input for ``clean``, resized on
  the host) -> {"features": [B, 2048] pool3, "probabilities": [B, 1008]}."""
  x = images if mode == "clean" else resize_lib.to_network_input(images, mode, xp=jnp)
  with jax.default_matmul_precision("highest"):
    outputs = FIDInceptionV3().apply(variables, x)
  return {"features": outputs["pool3"], "probabilities": jax.nn.softmax(outputs["logits"])}


class FIDInceptionExtractor(weights.BatchedExtractor):
  """Extractor ``inception``: pool3 features and the 1008-way class probabilities (the Inception
  Score's) of images in [0, 1], resized as ``resize`` says (``resize.RESIZE_MODES``; default
  ``legacy_tf``, the convention of TTUR's FIDs and of most published tables)."""
  name = "inception"
  feature_dim = 2048
  num_classes = NUM_CLASSES

  def __init__(self, weights_path: str, resize: str = "legacy_tf", batch_size: int = 64):
    resize_lib.check_mode(resize)
    if batch_size < 1:
      raise ConfigError(f"batch_size: expected a value >= 1, got {batch_size}")
    self.resize, self.batch_size = resize, batch_size
    self._variables = weights.load_weights(weights_path, FIDInceptionV3(),
                                           jax.ShapeDtypeStruct((1, 299, 299, 3), jnp.float32))
    self.weights_hash = weights.file_hash(weights_path)
    self._forward = jax.jit(functools.partial(_forward, mode=resize))

  def describe(self) -> dict:
    return {"extractor": self.name, "network": "inception-2015-12-05",
            "weights_hash": self.weights_hash, "resize": self.resize}

  def _prepare(self, images: np.ndarray) -> np.ndarray:
    images = super()._prepare(images)
    if self.resize == "clean":  # PIL on the host, then the jitted network
      return np.asarray(resize_lib.to_network_input(images, "clean"), np.float32)
    return images
