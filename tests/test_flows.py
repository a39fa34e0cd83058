"""The flows family: exact inverses and log-determinants against jax.jacobian for every bijector and
whole flows, densities that integrate to one, actnorm's data-dependent initialisation (and that a
resumed run does not redo it), losses by name, the experiment's loss, samples, grid and evaluation
against their definitions, and one compile of the train step."""

import math
import os

import jax
import jax.numpy as jnp
import ml_collections
import numpy as np
import pytest

from conftest import REPO, perturbed_params, train_inspectable
from jaxgen import eval as eval_lib
from jaxgen.core import checkpoint as checkpoint_lib
from jaxgen.core import config as config_lib
from jaxgen.core import runner
from jaxgen.errors import ConfigError, UnknownNameError
from jaxgen.families.flows import losses, networks
from jaxgen.families.flows.bijectors import Chain
from jaxgen.families.flows.coupling import (AdditiveCoupling, AffineCoupling, SplineCoupling,
                                            coupling_mask)
from jaxgen.families.flows.dequantization import VariationalDequantizer
from jaxgen.families.flows.elementwise import ActNorm, DiagonalScaling, Logit
from jaxgen.families.flows.flow import base_sample
from jaxgen.families.flows.linear import Invertible1x1Conv
from jaxgen.families.flows.model import build_flow
from jaxgen.families.flows.multiscale import FactorOut, Squeeze, Unsqueeze, squeeze, unsqueeze
from jaxgen.families.flows.spline import rational_quadratic_spline, spline_parameters

jax.config.update("jax_default_matmul_precision", "highest")

IMAGE = (4, 4, 2)
VECTOR = (6,)


def load_config(name, *overrides):
  config = config_lib.load_config(os.path.join(REPO, "experiments", f"{name}.py"))
  config_lib.apply_overrides(config, list(overrides))
  return config


def perturbed(variables, scale=0.2, seed=1):
  """Every float parameter moved off its initial value: zero-initialised layers start as the
  identity, which would hide a wrong inverse or log-determinant."""

  return {**variables, "params": perturbed_params(variables["params"], scale, seed)}


def initialised(module, x, method, seed=0):
  """``module.init`` compiled once: eager, a flow's init compiles each of its hundreds of ops."""
  return jax.jit(lambda x: module.init(jax.random.PRNGKey(seed), x, method=method))(x)


def data(shape, batch=2, seed=0):
  """Inputs in (0.05, 0.95): valid for the logit transform, generic for the others."""
  return jax.random.uniform(jax.random.PRNGKey(seed), (batch, *shape), minval=0.05, maxval=0.95)


BIJECTORS = {
    "additive_coupling": (lambda: AdditiveCoupling(networks.MLP((8,), 1), "alternate", 1), VECTOR),
    "affine_coupling_exp": (lambda: AffineCoupling(networks.MLP((8,), 2), "alternate", 0, "exp"), VECTOR),
    "affine_coupling_tanh_checkerboard": (
        lambda: AffineCoupling(networks.ResNet(8, 1, 2), "checkerboard", 1, "tanh"), IMAGE),
    "affine_coupling_sigmoid_channel": (
        lambda: AffineCoupling(networks.ConvNet(8, 2), "channel", 0, "sigmoid"), IMAGE),
    "spline_coupling": (lambda: SplineCoupling(networks.MLP((8,), 11), "alternate", 0, 4, 1.0), VECTOR),
    # Bound 0.5 inside the inputs' (0.05, 0.95): some elements take the identity tails.
    "spline_coupling_tails": (lambda: SplineCoupling(networks.MLP((8,), 14), "channel", 1, 5, 0.5), VECTOR),
    "spline_coupling_channel_image": (
        lambda: SplineCoupling(networks.ConvNet(8, 8), "channel", 0, 3, 1.0), IMAGE),
    "diagonal_scaling": (DiagonalScaling, IMAGE),
    "actnorm_image": (ActNorm, IMAGE),
    "logit": (Logit, IMAGE),
    "invertible_1x1_conv": (lambda: Invertible1x1Conv(lu=False), IMAGE),
    "invertible_1x1_conv_lu": (lambda: Invertible1x1Conv(lu=True), IMAGE),
    "squeeze": (Squeeze, IMAGE),
    "factor_out_learned_prior": (
        lambda: Chain([Squeeze(), FactorOut(ActNorm(), learned_prior=True), Unsqueeze()]), IMAGE),
}


def check_bijection(forward, inverse, x):
  """inverse(forward(x)) == x within 1e-5; log_det == log |det| of the Jacobian (jax.jacfwd)
  within 1e-4, per example; inverse's log_det == -forward's. forward, inverse: [B, ...] ->
  ([B, ...], [B]). One compile per call."""

  @jax.jit
  def round_trip_and_jacobians(x):
    y, log_det = forward(x)
    x_back, inverse_log_det = inverse(y)
    one = lambda flat: forward(flat.reshape(1, *x.shape[1:]))[0].ravel()
    jacobians = jax.vmap(jax.jacfwd(one))(x.reshape(x.shape[0], -1))
    return x_back, log_det, inverse_log_det, jacobians

  x_back, log_det, inverse_log_det, jacobians = round_trip_and_jacobians(x)
  np.testing.assert_allclose(x_back, x, atol=1e-5)
  np.testing.assert_allclose(inverse_log_det, -log_det, atol=1e-4)
  sign, log_abs_det = np.linalg.slogdet(np.asarray(jacobians, np.float64))
  assert np.all(sign != 0)
  np.testing.assert_allclose(log_det, log_abs_det, atol=1e-4)


@pytest.mark.parametrize("name", sorted(BIJECTORS))
def test_bijector_inverts_exactly_and_its_log_det_is_the_jacobians(name):
  make, shape = BIJECTORS[name]
  bijector = make()
  x = data(shape)
  variables = initialised(bijector, x, bijector.forward)
  if "params" in variables:
    variables = perturbed(variables)
  check_bijection(lambda v: bijector.apply(variables, v, method=bijector.forward),
                  lambda v: bijector.apply(variables, v, method=bijector.inverse), x)


def flow_config(name, **fields):
  c = ml_collections.ConfigDict(dict(
      name=name, base="normal", num_couplings=4, hidden=(8,), scale="tanh", actnorm=True,
      coupling="affine", permutation="lu", steps_per_scale=2, num_scales=2, features=8,
      num_blocks=1, logit_alpha=0.05, learned_prior=True, learn_top=True))
  c.update(fields)
  return c


FLOWS = {
    "nice_image": (flow_config("nice", base="logistic"), IMAGE),
    "realnvp_vector": (flow_config("realnvp", scale="exp"), VECTOR),
    # No residual blocks: the composition is under test (the ResNet is in BIJECTORS), and each
    # block adds two convolutions per coupling to a compile of seconds.
    "realnvp_image": (flow_config("realnvp", num_blocks=0), IMAGE),
    "glow_vector": (flow_config("glow", scale="tanh"), VECTOR),
    "glow_vector_spline": (flow_config("glow", coupling="spline", num_bins=4, tail_bound=1.0), VECTOR),
    "glow_image_lu_affine": (flow_config("glow", scale="sigmoid"), IMAGE),
    "glow_image_conv_additive": (flow_config("glow", permutation="conv", coupling="additive",
                                             learned_prior=False, learn_top=False), IMAGE),
}


@pytest.mark.parametrize("name", sorted(FLOWS))
def test_whole_flow_inverts_exactly_and_its_log_det_is_the_jacobians(name):
  config, shape = FLOWS[name]
  flow = build_flow(config, shape)
  x = data(shape)
  variables = perturbed(initialised(flow, x, flow.log_prob), scale=0.05)
  encode = lambda v: flow.apply(variables, v, method=flow.encode)
  check_bijection(encode, lambda z: flow.apply(variables, z, method=lambda m, z: m.bijector.inverse(z)), x)
  assert jax.eval_shape(encode, x)[0].shape == x.shape  # the multi-scale code has the data's shape


@pytest.mark.parametrize("config", [
    flow_config("realnvp", hidden=(16,)),
    flow_config("glow", hidden=(16,), coupling="spline", num_bins=5, tail_bound=2.0)],
    ids=["realnvp", "glow_spline"])
def test_flow_density_integrates_to_one_and_is_the_change_of_variables(config):
  """exp(log p) of a perturbed 2-D flow on a fine grid sums to 1; log p = log N(f(x)) + log_det."""
  flow = build_flow(config, (2,))
  variables = perturbed(initialised(flow, jax.random.normal(jax.random.PRNGKey(1), (64, 2)),
                                    flow.log_prob), scale=0.1)
  step = 0.02
  axis = jnp.arange(-12.0, 12.0, step) + step / 2  # the perturbed flows have heavy tails
  grid = jnp.stack(jnp.meshgrid(axis, axis), -1).reshape(-1, 2)
  log_prob = jax.jit(lambda v: flow.apply(variables, v, method=flow.log_prob))(grid)
  assert abs(float(jnp.sum(jnp.exp(log_prob))) * step**2 - 1.0) < 5e-3
  z, log_det = flow.apply(variables, grid[:5], method=flow.encode)
  expected = -0.5 * jnp.sum(z**2, -1) - math.log(2 * math.pi) + log_det
  np.testing.assert_allclose(log_prob[:5], expected, rtol=1e-6)


def test_rational_quadratic_spline_follows_its_definition():
  """In float64: the spline passes through its knots (x^k, y^k) with derivatives delta^k,
  exp(log_det) is its central finite difference, it increases, the inverse undoes it, zero raw
  parameters give the identity, and outside [-B, B] it is the identity with log_det 0."""
  bound, num_bins = 2.0, 6
  with jax.enable_x64(True):
    raw = 1.5 * jax.random.normal(jax.random.PRNGKey(0), (3 * num_bins - 1,), jnp.float64)
    widths, heights, derivatives = spline_parameters(raw, num_bins)
    spline = jax.jit(lambda x: rational_quadratic_spline(x, widths, heights, derivatives, False, bound))
    inverse = jax.jit(lambda y: rational_quadratic_spline(y, widths, heights, derivatives, True, bound))

    knots_x = -bound + 2 * bound * np.concatenate([[0.0], np.cumsum(widths)])
    knots_y = -bound + 2 * bound * np.concatenate([[0.0], np.cumsum(heights)])
    knot_derivatives = np.concatenate([[1.0], derivatives, [1.0]])
    y, log_det = spline(jnp.asarray(knots_x))
    np.testing.assert_allclose(y, knots_y, atol=1e-12)
    np.testing.assert_allclose(np.exp(log_det), knot_derivatives, rtol=1e-9)

    x = jnp.linspace(-3.0, 3.0, 6001)
    y, log_det = spline(x)
    step = 1e-6
    finite_difference = (spline(x + step)[0] - spline(x - step)[0]) / (2 * step)
    interior = np.abs(np.abs(np.asarray(x)) - bound) > 2 * step  # the derivative jumps at +-B
    np.testing.assert_allclose(np.exp(log_det)[interior], finite_difference[interior], rtol=1e-6)
    assert np.all(np.diff(np.asarray(y)) > 0)
    x_back, inverse_log_det = inverse(y)
    np.testing.assert_allclose(x_back, x, atol=1e-10)
    np.testing.assert_allclose(inverse_log_det, -log_det, atol=1e-9)

    outside = np.abs(np.asarray(x)) > bound
    np.testing.assert_array_equal(np.asarray(y)[outside], np.asarray(x)[outside])
    np.testing.assert_array_equal(np.asarray(log_det)[outside], 0.0)
    identity, identity_log_det = rational_quadratic_spline(
        x, *spline_parameters(jnp.zeros(3 * num_bins - 1), num_bins), False, bound)
    np.testing.assert_allclose(identity, x, atol=1e-12)
    np.testing.assert_allclose(identity_log_det, 0.0, atol=1e-12)


def test_spline_coupling_starts_as_the_identity_and_checks_its_fields():
  """The zero-initialised last layer gives uniform bins and unit derivatives: y = x, log_det = 0,
  inside and outside the bound."""
  coupling = SplineCoupling(networks.MLP((8,), 11), "alternate", 0, 4, 1.0)
  x = 2.0 * jax.random.normal(jax.random.PRNGKey(0), (16, *VECTOR))
  variables = coupling.init(jax.random.PRNGKey(1), x, method=coupling.forward)
  y, log_det = jax.jit(lambda v: coupling.apply(variables, v, method=coupling.forward))(x)
  np.testing.assert_allclose(y, x, atol=1e-6)
  np.testing.assert_allclose(log_det, 0.0, atol=1e-6)
  with pytest.raises(UnknownNameError, match="valid: affine, additive, spline"):
    build_flow(flow_config("glow", coupling="cubic"), (2,))
  with pytest.raises(ConfigError, match="model.num_bins >= 1 and model.tail_bound > 0"):
    build_flow(flow_config("glow", coupling="spline", num_bins=4, tail_bound=0.0), (2,))


def test_sampling_at_temperature_decodes_scaled_base_draws():
  flow = build_flow(flow_config("glow"), IMAGE)
  variables = perturbed(initialised(flow, data(IMAGE, 8), flow.log_prob), 0.05)
  rng = jax.random.PRNGKey(3)

  @jax.jit
  def sample_decode_encode(rng):
    samples = flow.apply(variables, rng, 5, 0.7, method=flow.sample)
    z = 0.7 * base_sample(rng, (5, *IMAGE), "normal")
    return (samples, z, flow.apply(variables, z, method=flow.decode),
            flow.apply(variables, samples, method=flow.encode)[0])

  samples, z, decoded, encoded = sample_decode_encode(rng)
  np.testing.assert_allclose(samples, decoded, atol=1e-6)
  np.testing.assert_allclose(encoded, z, atol=1e-4)


def test_masks_and_squeeze_follow_their_definitions():
  np.testing.assert_array_equal(coupling_mask((2, 2, 1), "checkerboard", 0)[..., 0], [[1, 0], [0, 1]])
  np.testing.assert_array_equal(coupling_mask((4,), "alternate", 1), [0, 1, 0, 1])
  np.testing.assert_array_equal(coupling_mask((1, 1, 4), "channel", 0)[0, 0], [1, 1, 0, 0])
  with pytest.raises(UnknownNameError, match="valid: alternate, checkerboard, channel"):
    coupling_mask((4,), "stripes", 0)
  x = jnp.arange(2 * 4 * 4 * 3.0).reshape(2, 4, 4, 3)
  squeezed = squeeze(x)
  assert squeezed.shape == (2, 2, 2, 12)
  # Glow's squeeze2d: pixel (i, j) of block (r, c) lands in channels (2i + j) * C .. of pixel (r, c).
  np.testing.assert_array_equal(squeezed[0, 1, 0].reshape(3, 2, 2).transpose(1, 2, 0),
                                x[0, 2:4, 0:2])
  np.testing.assert_array_equal(unsqueeze(squeezed), x)


def test_actnorm_data_init_gives_zero_mean_unit_variance_on_its_first_batch():
  x = 3.0 + 2.5 * jax.random.normal(jax.random.PRNGKey(0), (64, 4, 4, 3)) * jnp.array([1.0, 0.1, 4.0])
  mixed = Chain([Invertible1x1Conv(lu=True), ActNorm()])  # actnorm normalises its own input
  variables = mixed.init(jax.random.PRNGKey(1), x, method=mixed.forward)
  y, _ = mixed.apply(variables, x, method=mixed.forward)
  np.testing.assert_allclose(jnp.mean(y, axis=(0, 1, 2)), 0.0, atol=1e-5)
  np.testing.assert_allclose(jnp.std(y, axis=(0, 1, 2)), 1.0, atol=1e-4)
  other, _ = mixed.apply(variables, x[:8] * 2.0, method=mixed.forward)  # later batches: plain affine
  assert float(jnp.max(jnp.abs(jnp.mean(other, axis=(0, 1, 2))))) > 0.5
  plain = ActNorm(data_init=False)
  params = plain.init(jax.random.PRNGKey(1), x, method=plain.forward)["params"]
  assert all(float(jnp.max(jnp.abs(p))) == 0.0 for p in jax.tree.leaves(params))


def test_lu_decomposed_weight_is_permutation_times_unit_lower_times_upper():
  layer = Invertible1x1Conv(lu=True)
  x = data(IMAGE)
  variables = perturbed(layer.init(jax.random.PRNGKey(0), x, method=layer.forward))
  p = variables["constants"]["permutation"]
  params = variables["params"]
  lower = np.tril(params["lower"], -1) + np.eye(2)
  upper = np.triu(params["upper"], 1) + np.diag(variables["constants"]["sign"] * np.exp(params["log_abs_s"]))
  y, log_det = layer.apply(variables, x, method=layer.forward)
  np.testing.assert_allclose(y, x @ (p @ lower @ upper), atol=1e-6)
  np.testing.assert_allclose(log_det, 16 * np.sum(params["log_abs_s"]), rtol=1e-6)
  assert sorted(np.asarray(p).sum(0)) == [1.0, 1.0]  # a permutation matrix, fixed (not a param)


def test_variational_dequantizer_density_integrates_to_one_over_the_bin():
  """q(u | level) of one pixel, from the change of variables, integrates to 1 over (0, 1)."""
  dequantizer = VariationalDequantizer(features=4, num_levels=17)
  level = jnp.full((1, 1, 1, 1), 7.0)
  variables = perturbed(dequantizer.init(jax.random.PRNGKey(0), level, jnp.zeros_like(level)), 0.5)
  noise = jnp.linspace(-9.0, 9.0, 20001).reshape(-1, 1, 1, 1)
  u, log_q = jax.jit(lambda e: dequantizer.apply(variables, jnp.broadcast_to(level, e.shape), e))(noise)
  u = np.asarray(u).ravel()
  assert np.all(np.diff(u) > 0) and 0 < u[0] and u[-1] < 1
  integral = np.trapezoid(np.exp(np.asarray(log_q, np.float64)), u)
  assert abs(integral - 1.0) < 1e-3


def test_losses_by_name_match_their_formulas():
  log_density = jnp.array([10.0, -3.0])
  np.testing.assert_allclose(losses.LOSSES.get("nll")(log_density, 64, None), [-10.0, 3.0])
  expected = (-np.array([10.0, -3.0]) + 64 * math.log(17)) / (64 * math.log(2))
  np.testing.assert_allclose(losses.LOSSES.get("bits_per_dim")(log_density, 64, 17), expected, rtol=1e-6)
  np.testing.assert_allclose(expected, eval_lib.dequantized_bits_per_dim(log_density, 64, 17), rtol=1e-6)
  with pytest.raises(UnknownNameError, match="valid: bits_per_dim, nll"):
    losses.LOSSES.get("mse")


@pytest.mark.parametrize("config_name,overrides,message", [
    ("glow_digits", ["data.dequantize=False"], "needs dequantization"),
    ("glow_digits", ["loss.dequantization=variational"], "data.dequantize=False"),
    ("glow_digits", ["loss.dequantization=learned"], "valid: uniform, variational"),
    ("realnvp_grid25", ["loss.name=bits_per_dim"], "is continuous"),
    ("realnvp_grid25", ["model.name=maf"], "valid: glow, nice, realnvp"),
    ("glow_digits", ["model.permutation=shuffle"], "valid: conv, lu"),
    ("glow_digits", ["model.num_scales=4"], "divisible by 16"),
    ("glow_digits", ["eval.temperatures=(0.0, 1.0)"], "temperatures must be > 0"),
])
def test_config_mistakes_are_clear_errors(config_name, overrides, message):
  from jaxgen.families.flows.experiment import FlowExperiment
  with pytest.raises((ConfigError, UnknownNameError), match=message):
    FlowExperiment(load_config(config_name, *overrides))



TINY_GLOW = ["model.steps_per_scale=1", "model.features=8", "train.batch_size=32",
             "eval.batch_size=100", "log_every=5", "eval_every=1000", "checkpoint_every=10",
             "optimizer.warmup_steps=0", "optimizer.schedule=constant", "eval.fid_extractor=''"]


def tiny_glow_experiment(*overrides):
  """A tiny Glow on digits and its state, every parameter moved off its initialisation."""
  from jaxgen.families.flows.experiment import FlowExperiment
  experiment = FlowExperiment(load_config("glow_digits", *TINY_GLOW, *overrides))
  state = jax.jit(experiment.init)(jax.random.PRNGKey(0), {"image": data((8, 8, 1), 16)})
  moved = perturbed({"params": state.params["flow"]}, scale=0.05)["params"]
  return experiment, state.replace(params={"flow": moved})


def test_experiment_loss_is_the_change_of_variables_in_bits_and_samples_decode_scaled_draws():
  """``loss`` == (-log N(f(x)) - log_det + D ln 17) / (D ln 2), from the flow's encode; ``sample``
  decodes base draws scaled by the temperature (None: sample.temperature), clipped to [0, 1]."""
  experiment, state = tiny_glow_experiment("sample.temperature=0.7")
  flow, variables = experiment.flow, {"params": state.params["flow"], **state.model_state}
  x = data((8, 8, 1), 4, seed=2)
  loss, terms = jax.jit(experiment.loss)(state.params, state.model_state, {"image": x},
                                         jax.random.PRNGKey(1), 0)
  z, log_det = jax.jit(lambda x: flow.apply(variables, x, method=flow.encode))(x)
  log_p = -0.5 * jnp.sum(z.reshape(4, -1) ** 2 + math.log(2 * math.pi), axis=1) + log_det
  np.testing.assert_allclose(loss, (-log_p + 64 * math.log(17)) / (64 * math.log(2)), rtol=1e-5)
  np.testing.assert_allclose(terms["log_prob_base"] + terms["log_det"], log_p, rtol=1e-5)

  rng = jax.random.PRNGKey(3)

  @jax.jit
  def samples_and_decoded(rng):
    z = 0.5 * base_sample(rng, (5, 8, 8, 1), "normal")
    return (experiment.sample(state, rng, 5, temperature=0.5), flow.apply(variables, z, method=flow.decode),
            experiment.sample(state, rng, 5), experiment.sample(state, rng, 5, temperature=0.7))

  samples, decoded, at_default, at_07 = samples_and_decoded(rng)
  np.testing.assert_allclose(samples, np.clip(decoded, 0.0, 1.0), atol=1e-6)
  np.testing.assert_array_equal(at_default, at_07)


def test_prepare_keeps_held_out_images_and_the_grid_interpolates_between_their_codes():
  """The grid: 2 rows per eval temperature, then 4 interpolations of 10 whose ends decode back
  to the held-out images ``prepare`` kept (f^-1(f(x)) = x)."""
  experiment, state = tiny_glow_experiment("eval.temperatures=(0.5, 1.0)")
  images = np.asarray(data((8, 8, 1), 20, seed=4))
  asked = []
  experiment.prepare(lambda split, num: asked.append((split, num)) or {"image": images})
  assert asked == [("validation", 256)]
  grid, samples = jax.jit(lambda rng: (experiment.sample_grid(state, rng),
                                       experiment.sample(state, rng, 20, temperature=0.5)))(
                                           jax.random.PRNGKey(5))
  assert grid.shape == (2 * 20 + 4 * 10, 8, 8, 1) and experiment.grid_columns == 10
  interpolations = np.asarray(grid[40:]).reshape(4, 10, 8, 8, 1)
  np.testing.assert_allclose(interpolations[:, 0], images[:4], atol=1e-4)
  np.testing.assert_allclose(interpolations[:, -1], images[10:14], atol=1e-4)
  np.testing.assert_allclose(grid[:20], samples, atol=1e-6)


class RecordingSampler:
  """Stands in for the runner's sampler: records each call and returns ``make(num)``."""

  def __init__(self, make):
    self.make, self.calls = make, []

  def __call__(self, rng, num, **options):
    self.calls.append((np.asarray(rng).tolist(), num, options))
    return self.make(num)


def test_evaluate_averages_the_pass_and_scores_samples_at_each_temperature():
  """Images: the results' means (labels left out), then per eval temperature one draw of
  eval.num_image_samples through the sampler (keys fold_in(rng, i)), non-finite samples counted
  and left out, the rest clipped to [0, 1] and scored: ``fid`` at T = 1, ``fid_t0.5``."""
  from jaxgen.core import evaluation
  from jaxgen.families.flows.experiment import FlowExperiment
  experiment = FlowExperiment(load_config("glow_digits", "eval.temperatures=(0.5, 1.0)",
                                          "eval.num_image_samples=80"))
  real = evaluation.split_images("digits", "test", 80)

  def make(num):
    images = 1.2 * real[:num]  # partly outside [0, 1]
    images[3] = np.nan
    return images

  sampler = RecordingSampler(make)
  results = {"nll": np.array([1.0, 2.0, 6.0]), "bits_per_dim": np.array([0.5, 1.0, 1.5]),
             "label": np.array([3.0, 4.0, 5.0])}
  rng = jax.random.PRNGKey(7)
  metrics = experiment.evaluate(None, results, sampler, rng)
  assert metrics["nll"] == 3.0 and metrics["bits_per_dim"] == 1.0 and "label" not in metrics
  assert metrics["num_test_examples"] == 3
  keys = [np.asarray(jax.random.fold_in(rng, i)).tolist() for i in range(2)]
  assert sampler.calls == [(keys[0], 80, {"temperature": 0.5}), (keys[1], 80, {"temperature": 1.0})]
  assert metrics["nonfinite_sample_frac"] == pytest.approx(1 / 80)
  assert metrics["nonfinite_sample_frac_t0.5"] == pytest.approx(1 / 80)
  kept = np.clip(np.delete(make(80), 3, axis=0), 0.0, 1.0)
  expected = evaluation.image_sample_metrics(kept, "digits", {"fid_extractor": "digits"})
  assert metrics["fid"] == pytest.approx(expected["fid"], rel=1e-6)
  assert metrics["fid_t0.5"] == pytest.approx(expected["fid"], rel=1e-6)  # the same images


def test_evaluate_on_points_gives_the_kl_gap_and_mode_coverage_of_samples_at_t1():
  """kl_gap = test nll - the toy's true entropy; eval.num_mode_samples samples drawn at T = 1."""
  from jaxgen.core import evaluation
  from jaxgen.data import dataset_info
  from jaxgen.families.flows.experiment import FlowExperiment
  experiment = FlowExperiment(load_config("realnvp_ring8", "eval.num_mode_samples=500"))
  points = evaluation.split_examples("ring8", "test", 500)["point"]
  sampler = RecordingSampler(lambda num: points[:num])
  metrics = experiment.evaluate(None, {"nll": np.array([-2.0, -3.0])}, sampler,
                                jax.random.PRNGKey(0))
  entropy = dataset_info("ring8").entropy
  assert metrics["true_entropy"] == pytest.approx(entropy)
  assert metrics["kl_gap"] == pytest.approx(-2.5 - entropy)
  assert [call[1:] for call in sampler.calls] == [(500, {"temperature": 1.0})]
  assert metrics["modes_captured"] == 8 and metrics["num_samples"] == 500

# -- the experiment on the runner -----------------------------------------------------------------

def actnorm_params(params, path=""):
  """{path: array} of every actnorm's bias and log-scale (the only modules with exactly these)."""
  if set(params) == {"bias", "log_scale"}:
    return {f"{path}/{name}": np.asarray(value) for name, value in params.items()}
  found = {}
  for name, child in params.items():
    if isinstance(child, dict):
      found.update(actnorm_params(child, f"{path}/{name}"))
  return found


def test_train_step_compiles_once_and_resume_keeps_actnorm_trained_not_reinitialised(tmp_path):
  """20 straight steps == 10 steps, stop, resume to 20: actnorm's data-dependent init ran once,
  at the start; the resumed run continued from its trained values."""
  config = load_config("glow_digits", *TINY_GLOW, "train.num_steps=20")
  run, straight = train_inspectable(config, str(tmp_path / "straight"))
  assert run.train_step_fn._cache_size() == 1
  assert run.eval_step_fn._cache_size() == 1
  assert run.grid_fn._cache_size() == 1  # the grid of step 20's eval

  resumed_dir = str(tmp_path / "resumed")
  runner.train(load_config("glow_digits", *TINY_GLOW, "train.num_steps=10"), resumed_dir)
  at_10 = actnorm_params(checkpoint_lib.restore_params(resumed_dir))
  fresh = actnorm_params(run.initial_state(runner._run_keys(config.seed)[0]).params)
  assert len(fresh) == 2 * 3  # stacked over the steps: two scales' steps and the learned top
  assert all(np.max(np.abs(at_10[k] - fresh[k])) > 1e-4 for k in fresh)  # trained since init
  resumed = runner.train(load_config("glow_digits", *TINY_GLOW, "train.num_steps=20"), resumed_dir)
  for a, b in zip(jax.tree.leaves(straight.params), jax.tree.leaves(resumed.params)):
    np.testing.assert_allclose(a, b, atol=1e-6)
  for a, b in zip(jax.tree.leaves(straight.model_state), jax.tree.leaves(resumed.model_state)):
    np.testing.assert_array_equal(a, b)


def test_the_runners_sampler_passes_the_temperature_to_sample_as_a_static_option():
  """``jaxgen eval``'s draws, ``sampler(rng, num, temperature=T)``, are ``sample``'s at T on the
  keys fold_in(rng, i), eval.batch_size at a time."""
  run = runner.Run(load_config("glow_digits", *TINY_GLOW))
  state = run.initial_state(jax.random.PRNGKey(0))
  key = jax.random.PRNGKey(9)
  # The reference compiled once, as a whole: eager, Glow's sample dispatches hundreds of ops.
  sample = jax.jit(run.experiment.sample, static_argnums=2, static_argnames="temperature")
  for temperature in (0.5, 1.0):
    np.testing.assert_allclose(run.sampler(state)(key, 7, temperature=temperature),
                               sample(state, jax.random.fold_in(key, 0), 100,
                                      temperature=temperature)[:7], atol=1e-5)
