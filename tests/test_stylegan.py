"""StyleGAN2: modulated convolutions, equalised learning rate, the minibatch standard deviation,
R1 and the path-length penalty against NumPy / closed forms; truncation and style mixing; the
smoke config through the command line, its logs showing the lazy regularisation steps."""

import json
import math
import os

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

from conftest import EXPERIMENTS, perturbed_params, train_and_evaluate
from jaxgen.core import config as config_lib
from jaxgen.core.experiment import TrainState
from jaxgen.errors import ConfigError
from jaxgen.families.stylegan import experiment as stylegan_experiment
from jaxgen.families.stylegan import losses
from jaxgen.families.stylegan.model import (EqualConv2D, EqualDense, Generator,
                                            ModulatedConv2D, minibatch_stddev, num_ws)

SMOKE = os.path.join(EXPERIMENTS, "stylegan_digits.py:smoke")
# Unit tests' networks: a few channels, lax's convolutions (fewer ops to dispatch or compile).
TINY = ["model.z_dim=6", "model.w_dim=5", "model.mapping_layers=2", "model.channel_base=32",
        "model.channel_max=4", "model.conv='xla'", "model.lazy_conv='xla'"]


def stylegan(*overrides):
  config = config_lib.load_config(SMOKE)
  config_lib.apply_overrides(config, TINY + list(overrides))
  return stylegan_experiment.make_experiment(config)


def numpy_conv(x: np.ndarray, kernel: np.ndarray) -> np.ndarray:
  """Cross-correlation with zero "SAME" padding, stride 1, by its definition:
  x [H, W, C], kernel [k, k, C, F] (odd k) -> [H, W, F]."""
  k = kernel.shape[0]
  h, w, _ = x.shape
  padded = np.pad(x, [(k // 2, k // 2), (k // 2, k // 2), (0, 0)])
  out = np.zeros((h, w, kernel.shape[-1]))
  for i in range(h):
    for j in range(w):
      out[i, j] = np.einsum("abc,abcf->f", padded[i:i + k, j:j + k], kernel)
  return out


# -- layers -------------------------------------------------------------------------------------

@pytest.mark.parametrize("conv", ["xla", "im2col"])
@pytest.mark.parametrize("kernel_size,demodulate", [(3, True), (1, False)])
def test_modulated_convolution_equals_per_example_weights_in_numpy(conv, kernel_size, demodulate):
  layer = ModulatedConv2D(4, kernel_size, demodulate, conv)
  rng = np.random.default_rng(0)
  x = rng.standard_normal((2, 5, 5, 3)).astype(np.float32)
  w = rng.standard_normal((2, 7)).astype(np.float32)
  params = perturbed_params(layer.init(jax.random.PRNGKey(0), x, w)["params"], 0.5)
  got = layer.apply({"params": params}, x, w)

  affine = params["affine"]
  styles = w @ (affine["kernel"] / np.sqrt(7)) + affine["bias"]  # [B, C]
  kernel = params["kernel"].astype(np.float64) / np.sqrt(kernel_size ** 2 * 3)
  for b in range(2):
    weights = kernel * styles[b][None, None, :, None]  # modulation, eq. 1
    if demodulate:  # eq. 3
      weights = weights / np.sqrt(np.sum(weights ** 2, axis=(0, 1, 2)) + 1e-8)
    np.testing.assert_allclose(got[b], numpy_conv(x[b], weights), rtol=1e-4, atol=1e-5)


def test_demodulated_outputs_keep_unit_standard_deviation():
  layer = ModulatedConv2D(32, 3, conv="xla")
  x = jax.random.normal(jax.random.PRNGKey(0), (4, 12, 12, 64))
  w = jax.random.normal(jax.random.PRNGKey(1), (4, 8))
  params = perturbed_params(layer.init(jax.random.PRNGKey(2), x, w)["params"], 1.0)
  interior = layer.apply({"params": params}, x, w)[:, 1:-1, 1:-1]  # no zero padding in reach
  np.testing.assert_allclose(np.std(np.asarray(interior), axis=(1, 2, 3)), 1.0, atol=0.06)


def test_equalised_layers_scale_stored_weights_at_run_time():
  dense = EqualDense(3, lr_multiplier=0.01, bias_init=1.0)
  x = np.random.default_rng(0).standard_normal((2, 400)).astype(np.float32)
  params = dense.init(jax.random.PRNGKey(0), x)["params"]
  assert np.std(params["kernel"]) == pytest.approx(100.0, rel=0.05)  # N(0, 1 / lr_mul^2)
  np.testing.assert_allclose(params["bias"], 100.0)  # bias_init / lr_mul
  np.testing.assert_allclose(dense.apply({"params": params}, x),
                             x @ (params["kernel"] * 0.01 / np.sqrt(400)) + 1.0, rtol=1e-5)

  conv = EqualConv2D(2, 3, conv="im2col")
  image = np.random.default_rng(1).standard_normal((1, 4, 4, 5)).astype(np.float32)
  params = perturbed_params(conv.init(jax.random.PRNGKey(1), image)["params"], 0.3)
  expected = numpy_conv(image[0], params["kernel"] / np.sqrt(45)) + params["bias"]
  np.testing.assert_allclose(conv.apply({"params": params}, image)[0], expected, rtol=1e-4,
                             atol=1e-5)


def test_equalised_learning_rate_steps_the_effective_weights_by_the_formula():
  """Effective weights W = c V (c = lr_mul / sqrt(fan_in)): dL/dV = c dL/dW, so SGD of rate eta
  moves W by c dV = -eta c^2 dL/dW and Adam's first step (|m / sqrt(v)| = 1) by eta c per
  weight."""
  fan_in, lr_mul, eta = 16, 0.01, 0.1
  scale = lr_mul / math.sqrt(fan_in)
  layer = EqualDense(2, lr_multiplier=lr_mul)
  rng = np.random.default_rng(0)
  x = rng.standard_normal((5, fan_in)).astype(np.float32)
  target = rng.standard_normal((5, 2)).astype(np.float32)
  params = layer.init(jax.random.PRNGKey(0), x)["params"]
  loss = lambda p: jnp.sum(jnp.square(layer.apply({"params": p}, x) - target))
  # dL/dW at the effective weights, by hand: L = |x W + b lr_mul - t|^2.
  weights = np.asarray(params["kernel"], np.float64) * scale
  grad_w = 2 * x.T @ (x @ weights + np.asarray(params["bias"]) * lr_mul - target)

  grads = jax.grad(loss)(params)
  np.testing.assert_allclose(grads["kernel"], scale * grad_w, rtol=1e-4)
  adam = optax.adam(eta, b1=0.0, b2=0.99, eps=1e-12)
  for optimizer, step in [(optax.sgd(eta), -eta * scale ** 2 * grad_w),
                          (adam, -eta * scale * np.sign(grad_w))]:
    updates, _ = optimizer.update(grads, optimizer.init(params), params)
    np.testing.assert_allclose(scale * np.asarray(updates["kernel"], np.float64), step, rtol=1e-4)


def test_minibatch_stddev_equals_numpy_over_strided_groups():
  x = np.random.default_rng(0).standard_normal((8, 3, 2, 6)).astype(np.float32)
  got = np.asarray(minibatch_stddev(jnp.asarray(x), group_size=4, num_channels=2))
  assert got.shape == (8, 3, 2, 8)
  np.testing.assert_array_equal(got[..., :6], x)
  for i in range(8):
    group = x[i % 2::2]  # the 4 examples i mod 2, i mod 2 + 2, ...
    for part in range(2):
      values = group[..., 3 * part:3 * part + 3].astype(np.float64)
      expected = np.mean(np.sqrt(np.var(values, axis=0) + 1e-8))
      np.testing.assert_allclose(got[i, :, :, 6 + part], expected, rtol=1e-5)


# -- regularisers -------------------------------------------------------------------------------

def test_r1_of_a_separable_quadratic_critic_is_its_closed_form():
  a, b = 0.7, np.array([0.5, -1.0, 2.0])
  critic = lambda x: jnp.sum(a * x ** 2 + jnp.asarray(b, x.dtype) * x, axis=(1, 2, 3))
  x = np.random.default_rng(0).standard_normal((4, 2, 2, 3))
  penalty = losses.r1_penalty(critic, jnp.asarray(x, jnp.float32))
  np.testing.assert_allclose(penalty, np.sum((2 * a * x + b) ** 2, axis=(1, 2, 3)), rtol=1e-5)


def test_path_length_penalty_of_a_linear_generator():
  """g(ws) = sum_l M_l w_l per example: J^T y of layer l is M_l^T y."""
  rng = np.random.default_rng(0)
  batch, layers, w_dim, (h, w, c) = 3, 4, 5, (2, 3, 2)
  maps = rng.standard_normal((layers, w_dim, h * w * c)).astype(np.float32)
  ws = rng.standard_normal((batch, layers, w_dim)).astype(np.float32)
  synthesize = lambda ws: jnp.einsum("blw,lwp->bp", ws, maps).reshape(batch, h, w, c)
  key = jax.random.PRNGKey(3)
  lengths = losses.path_lengths(synthesize, jnp.asarray(ws), key)

  y = np.asarray(jax.random.normal(key, (batch, h, w, c))).reshape(batch, -1) / np.sqrt(h * w)
  per_layer = np.einsum("lwp,bp->blw", maps.astype(np.float64), y)
  expected = np.sqrt(np.mean(np.sum(per_layer ** 2, axis=2), axis=1))
  np.testing.assert_allclose(lengths, expected, rtol=1e-5)

  penalty, pl_mean = losses.path_length_penalty(lengths, jnp.float32(0.5), 0.01)
  target = 0.5 + 0.01 * (np.mean(expected) - 0.5)
  assert float(pl_mean) == pytest.approx(target, rel=1e-6)
  np.testing.assert_allclose(penalty, (expected - target) ** 2, rtol=1e-5)


def test_lazy_regularisation_corrects_learning_rate_and_betas():
  config = config_lib.load_config(SMOKE).optimizer
  corrected = stylegan_experiment.lazy_corrected(config, 16)
  assert corrected.learning_rate == pytest.approx(0.0025 * 16 / 17)
  assert corrected.b1 == 0.0 and corrected.b2 == pytest.approx(0.99 ** (16 / 17))
  assert stylegan_experiment.lazy_corrected(config, 0).to_dict() == config.to_dict()


# -- styles, truncation, canvas -----------------------------------------------------------------

def tiny_state(experiment, w_avg):
  """A state of the generator's parameters moved off their initial values, and ``w_avg``."""
  rng = jax.random.PRNGKey(0)
  init = jax.jit(lambda: experiment.generators[False].init({"params": rng, "noise": rng},
                                                           experiment.latents(rng, 1)))
  params = perturbed_params(init()["params"], 0.5)
  return TrainState(step=jnp.zeros((), jnp.int32), params={"generator": params}, opt_state=None,
                    model_state={"w_avg": jnp.asarray(w_avg, jnp.float32)})


def test_truncation_psi_zero_draws_w_avg_and_one_the_untruncated_image():
  e = stylegan()
  state = tiny_state(e, np.random.default_rng(0).standard_normal(5))

  @jax.jit
  def draws(state, key):
    """Samples at psi 0 and 1, and the images of w_avg and of f(z) with the same z and noise."""
    params, w_avg = state.params["generator"], state.model_state["w_avg"]
    style_key, noise_key = jax.random.split(key)
    at_w_avg = e.synthesize(params, jnp.broadcast_to(w_avg, (3, e.num_ws, 5)), noise_key)
    untruncated = e.synthesize(params, e.broadcast(e.map(params, e.latents(style_key, 3))),
                               noise_key)
    return (e.sample(state, key, 3, truncation_psi=0.0), at_w_avg,
            e.sample(state, key, 3, truncation_psi=1.0), untruncated)

  at_zero, at_w_avg, at_one, untruncated = draws(state, jax.random.PRNGKey(7))
  crop = lambda canvas: stylegan_experiment.crop_from_canvas(canvas, e.shape)
  np.testing.assert_allclose(at_zero, crop(at_w_avg), atol=1e-5)
  np.testing.assert_allclose(at_one, crop(untruncated), atol=1e-5)
  assert np.std(np.asarray(at_one), axis=0).max() > 0.01  # the z differ, so must the images


def test_style_mixing_switches_each_example_to_its_second_w_at_one_crossover():
  e = stylegan("model.style_mixing_prob=1.0")
  generator, rng = e.generators[False], jax.random.PRNGKey(0)
  params = perturbed_params(  # the mapping network's: style mixing needs no other
      generator.init(rng, e.latents(rng, 1), method=Generator.map)["params"], 0.5)
  ws, w = jax.jit(e.mixed_ws, static_argnums=2)(params, jax.random.PRNGKey(1), 64)
  assert ws.shape == (64, num_ws(8), 5) and num_ws(8) == 4
  first = np.all(np.isclose(ws, w[:, None]), axis=2)  # [B, layers]: this layer has w
  crossovers = np.sum(first, axis=1)
  np.testing.assert_array_equal(first, np.arange(4)[None] < crossovers[:, None])
  assert set(crossovers) == {1, 2, 3}  # uniform in [1, num_ws): every example mixes
  unmixed, w = jax.jit(stylegan("model.style_mixing_prob=0.0").mixed_ws, static_argnums=2)(
      params, jax.random.PRNGKey(1), 8)
  np.testing.assert_array_equal(unmixed, np.broadcast_to(w[:, None], unmixed.shape))


@pytest.mark.parametrize("shape,size", [((28, 28, 1), 32), ((5, 7, 3), 8), ((8, 8, 1), 8),
                                        ((33, 20, 1), 64)])
def test_images_pad_with_the_background_to_a_power_of_two_and_crop_back(shape, size):
  assert stylegan_experiment.canvas_size(shape) == size
  images = np.random.default_rng(0).uniform(0, 1, (2, *shape)).astype(np.float32)
  canvas = np.asarray(stylegan_experiment.pad_to_canvas(images, size, -1.0))
  assert canvas.shape == (2, size, size, shape[-1])
  back = stylegan_experiment.crop_from_canvas(canvas, shape)
  np.testing.assert_array_equal(back, images)
  assert np.sum(canvas == -1.0) == 2 * (size * size - shape[0] * shape[1]) * shape[-1]


@pytest.mark.parametrize("overrides,message", [
    (["train.batch_size=30"], "multiples of model.mbstd_group_size"),
    (["loss.name='hinge'"], "non-saturating"),
    (["loss.pl_batch_shrink=3"], "pl_batch_shrink"),
    (["model.mbstd_channels=3"], "must divide"),
    (["data.name='ring8'"], "generates images"),
])
def test_inconsistent_configs_are_one_line_errors(overrides, message):
  with pytest.raises(ConfigError, match=message):
    stylegan(*overrides)


# -- end to end ---------------------------------------------------------------------------------

def test_smoke_config_trains_with_lazy_steps_and_evaluates_through_the_command_line(tmp_path):
  workdir = str(tmp_path / "stylegan")
  metrics = train_and_evaluate(SMOKE, workdir, "log_every=1", "eval_every=12",
                               "loss.r1_interval=4", "loss.pl_interval=3")
  rows = [json.loads(line) for line in open(os.path.join(workdir, "metrics.jsonl"))]
  train = {row["step"]: row for row in rows if row["split"] == "train"}
  assert sorted(train) == list(range(1, 13))
  # Row N logs the update of step N - 1: R1 at steps 0, 4, 8, path length at 0, 3, 6, 9.
  assert [n - 1 for n in train if train[n]["r1"] > 0] == [0, 4, 8]
  assert [n - 1 for n in train if train[n]["pl_penalty"] > 0] == [0, 3, 6, 9]
  assert all(train[n]["path_length"] > 0 for n in (1, 4, 7, 10))
  for name in ("fid", "precision", "recall", "psi0.5_fid", "psi0.5_precision", "test_d_loss"):
    assert math.isfinite(metrics[name]), name
  table = open(os.path.join(workdir, "truncation.md")).read()
  assert "| 1 |" in table and "| 0.5 |" in table
  assert os.path.exists(os.path.join(workdir, "samples", "step_12.png"))
