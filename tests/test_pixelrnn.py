"""PixelRNN (``row_lstm``, ``diagonal_bilstm``): causality and the receptive fields by gradients on
a 5x5 image, skewing, and the one-channel limit."""

import functools

import jax
import numpy as np
import pytest

from jaxgen.errors import ConfigError
from jaxgen.families.pixelcnn import heads
from jaxgen.families.pixelcnn.model import build_model
from jaxgen.families.pixelcnn.pixelrnn import skew, unskew
from test_pixelcnn import dependence, make, model_config

SHAPE = (5, 5, 1)


@functools.lru_cache(maxsize=None)  # the tests share networks: each compiles once
def reads(name, num_layers, num_classes=0):
  """[H, W, H, W] bool: does the output at (row, col) depend on the input pixel (row', col')?"""
  model, params, labels = make(name, heads.Bernoulli(), SHAPE, num_classes, num_layers=num_layers)
  return dependence(model, params, labels, SHAPE)[:, :, 0, :, :, 0] != 0


def earlier(row, col, shape=SHAPE):
  """The pixels strictly before (row, col) in raster order: [H, W] bool."""
  raster = np.arange(shape[0] * shape[1]).reshape(shape[:2])
  return raster < raster[row, col]


def diagonal_bilstm_field(input_kernel, row, col, shape=SHAPE):
  """The pixels a Diagonal BiLSTM's output at (row, col) reads, [H, W] bool, with any number of
  layers: every earlier pixel but the last one of the row above while col + k0 // 2 < W - 1.

  Both directions read the mask-A map, in which (i - 1, W - 1) enters only row i (at columns
  >= W - 1 - k0 // 2); the left-to-right LSTM reads row i only at columns <= col, and the
  right-to-left one, shifted down, reads rows < i only."""
  field = earlier(row, col, shape)
  if row > 0 and col + input_kernel // 2 < shape[1] - 1:
    field[row - 1, shape[1] - 1] = False
  return field


def row_lstm_field(num_layers, kernel_size, input_kernel, row, col, shape=SHAPE):
  """The pixels a Row LSTM's output at (row, col) reads, [H, W] bool. With r0 = k0 // 2 and
  r = k // 2, pixel (row - d, col + b) is read iff

    d = 0:  -(r0 + L r) <= b <= -1    (mask A reaches r0 left, each layer's input-to-state r more)
    d >= 1: -(r0 + (d + L) r) <= b <= max(r0 + (d - 1) r, d r - 1)

  (each row up adds r both ways through the state-to-state convolution; the mask-A convolution
  reaches r0 both ways on the rows above): a triangle widening upwards."""
  r0, r = input_kernel // 2, kernel_size // 2
  field = np.zeros(shape[:2], bool)
  for i, j in np.ndindex(*shape[:2]):
    d, b = row - i, j - col
    if d == 0:
      field[i, j] = -(r0 + num_layers * r) <= b <= -1
    elif d > 0:
      field[i, j] = -(r0 + (d + num_layers) * r) <= b <= max(r0 + (d - 1) * r, d * r - 1)
  return field


@pytest.mark.parametrize("name,num_layers,num_classes", [
    ("row_lstm", 1, 0), ("row_lstm", 2, 10), ("diagonal_bilstm", 2, 10)])
def test_receptive_fields_are_the_triangle_above_and_all_but_one_earlier(name, num_layers,
                                                                         num_classes):
  """Every output reads exactly its receptive field, which lies before it in raster order: for the
  Row LSTM the triangle of ``row_lstm_field`` (k0 = k = 3 here), for the Diagonal BiLSTM every
  earlier pixel from the first layer on but one (``diagonal_bilstm_field``). Conditional networks
  read the same pixels."""
  grads = reads(name, num_layers, num_classes)
  for row, col in np.ndindex(*SHAPE[:2]):
    field = (row_lstm_field(num_layers, 3, 3, row, col) if name == "row_lstm"
             else diagonal_bilstm_field(3, row, col))
    assert not np.any(grads[row, col] & ~earlier(row, col)), (row, col)  # causal
    np.testing.assert_array_equal(grads[row, col], field, err_msg=f"output pixel {(row, col)}")
  if name == "diagonal_bilstm":  # the last pixel reads every pixel before it
    np.testing.assert_array_equal(grads[-1, -1], earlier(4, 4))


def test_row_lstm_misses_the_far_left_of_its_own_row_and_of_the_row_above():
  """One layer, k0 = k = 3: the last pixel reads 2 pixels to its left (r0 + r) and 3 on the row
  above (r0 + 2r), so (4, 0), (4, 1) and (3, 0) are not read; a Diagonal BiLSTM reads them."""
  row_lstm, diagonal = reads("row_lstm", 1, 0)[4, 4], reads("diagonal_bilstm", 2, 10)[4, 4]
  assert not row_lstm[4, 0] and not row_lstm[4, 1] and not row_lstm[3, 0]
  assert row_lstm[4, 2] and row_lstm[4, 3] and row_lstm[3, 1] and row_lstm[2, 0]
  np.testing.assert_array_equal(diagonal, earlier(4, 4))


def test_skew_makes_diagonals_columns_and_unskew_inverts_it():
  x = jax.random.normal(jax.random.PRNGKey(0), (2, 3, 4, 1))
  skewed = np.asarray(skew(x))
  assert skewed.shape == (2, 3, 6, 1)
  for i, j in np.ndindex(3, 4):
    assert skewed[0, i, i + j, 0] == x[0, i, j, 0]
  assert np.count_nonzero(skewed[0, :, :, 0]) == 12  # zeros elsewhere
  np.testing.assert_array_equal(unskew(skewed, 4), x)


@pytest.mark.parametrize("name", ["row_lstm", "diagonal_bilstm"])
def test_more_than_one_data_channel_is_a_config_error(name):
  with pytest.raises(ConfigError, match="one data channel"):
    build_model(model_config(name, features=6), 3, 3, 0)
  # A whole-pixel head asks for one channel group, but the image has three.
  with pytest.raises(ConfigError, match="one data channel"):
    make(name, heads.LogisticMixture(256, (-1.0, 1.0), 2), (4, 4, 3))
