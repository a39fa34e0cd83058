"""The PixelCNN family: masks against the raster order, causality and the blind spot via gradients,
heads against independent NumPy/SciPy likelihoods, samplers against the model's own probabilities
and each other, losses by name, the mixtures over transforms and labels against float64 sums, and
the Experiment protocol on the runner (one compile of the train step, the grid, ``evaluate``)."""

import itertools
import math
import os

import jax
import jax.numpy as jnp
import ml_collections
import numpy as np
import pytest
from scipy import stats

from conftest import REPO, perturbed_params, train_inspectable
from jaxgen import data as data_lib
from jaxgen.core import config as config_lib
from jaxgen.core import evaluation
from jaxgen.core import runner
from jaxgen.errors import ConfigError, UnknownNameError
from jaxgen.families.pixelcnn import augment, heads, losses, sampling
from jaxgen.families.pixelcnn.experiment import PixelCNNExperiment
from jaxgen.families.pixelcnn.model import build_model
from jaxgen.nn import masked_conv

jax.config.update("jax_default_matmul_precision", "highest")


def load_config(name, *overrides):
  config = config_lib.load_config(os.path.join(REPO, "experiments", f"{name}.py"))
  config_lib.apply_overrides(config, list(overrides))
  return config


# pixelcnn_binarized_digits' gated network, two layers deep and narrow: what a test of its losses
# and mixtures computes is the same at any depth, and compiling it costs less.
SMALL = ("model.features=8", "model.num_layers=2", "model.output_features=8")


def prepared(name, *overrides):
  """The config's experiment, built and prepared (held-out test images) as the runner does it."""
  return runner.Run(load_config(name, *overrides)).experiment


def model_config(name, features=6, num_layers=2, kernel_size=3, input_kernel=3):
  return ml_collections.ConfigDict(dict(name=name, features=features, num_layers=num_layers,
                                        kernel_size=kernel_size, input_kernel=input_kernel,
                                        output_features=12, dropout=0.0, num_scales=2))


def make(name, head, shape, num_classes=0, seed=0, **sizes):
  """A small network for ``head`` on images of ``shape`` and random params, perturbed so that no
  bias or weight sits at an initial zero (a zero could hide a dependence)."""
  channels = shape[-1]
  model = build_model(model_config(name, **sizes), head.num_outputs(channels),
                      1 if head.channels_in_head else channels, num_classes)
  x = jax.random.uniform(jax.random.PRNGKey(seed), (2, *shape))
  labels = jnp.arange(2) % num_classes if num_classes else None

  params = jax.jit(model.init)(jax.random.PRNGKey(seed), x, labels)["params"]
  return model, perturbed_params(params, 0.3, seed), labels


# -- masks ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("mask_type,channels", [("A", 1), ("B", 1), ("A", 3), ("B", 3)])
def test_kernel_mask_is_the_raster_order(mask_type, channels):
  """Cell (r, c), input feature i -> output feature o is open iff the pixel at that offset comes
  before the anchor in raster order, or is the anchor and i's channel comes before o's (A) or is
  it (B): the order x_1, ..., x_n of eq. 1 with R < G < B inside a pixel."""
  kh, kw, features = 5, 5, 6
  anchor = (2, 2)
  mask = masked_conv.kernel_mask((kh, kw), anchor, features, features, channels, mask_type)
  for r, c, i, o in itertools.product(range(kh), range(kw), range(features), range(features)):
    offset = (r - anchor[0]) * 1000 + (c - anchor[1])  # raster position relative to the anchor
    earlier_channel = i % channels < o % channels or (mask_type == "B" and i % channels == o % channels)
    assert mask[r, c, i, o] == float(offset < 0 or (offset == 0 and earlier_channel))


def test_masked_conv_regions_equal_the_full_convolution():
  """What the fast sampler computes from the cache is the full convolution's output there."""
  conv = masked_conv.MaskedConv(4, (2, 3), (2, 1))  # down-shifted: reads rows above only
  x = jax.random.normal(jax.random.PRNGKey(0), (2, 5, 6, 3))
  params = conv.init(jax.random.PRNGKey(1), conv.apply({}, x, method=conv.pad))
  positions = [(0, 0), (3, 5), (4, 2)]

  @jax.jit
  def full_and_cached(x):
    full, padded = conv.apply(params, x, method=conv.full)
    cache = jnp.zeros(conv.cache_shape(2, 5, 6, 3))
    for row in range(5):  # row by row, as the sampler fills it
      cache = conv.apply(params, cache, x[:, row:row + 1], row, 0, method=conv.write)
    regions = [conv.apply(params, cache, row, col, 1, 1, method=conv.region)[:, 0, 0]
               for row, col in positions]
    return full, padded, cache, regions

  full, padded, cache, regions = full_and_cached(x)
  np.testing.assert_allclose(cache[:, :padded.shape[1]], padded)
  for (row, col), region in zip(positions, regions):
    np.testing.assert_allclose(region, full[:, row, col], rtol=1e-5, atol=1e-6)
  np.testing.assert_allclose(full[:, 0], np.broadcast_to(params["params"]["bias"], full[:, 0].shape))


# -- causality and the blind spot -----------------------------------------------------------------

HEADS_UNDER_TEST = {
    "bernoulli": (heads.Bernoulli(), 1),
    "softmax_grey": (heads.Softmax(4, (0.0, 1.0)), 1),
    "softmax_rgb": (heads.Softmax(4, (0.0, 1.0)), 3),
    "mixture_rgb": (heads.LogisticMixture(256, (-1.0, 1.0), 2), 3),
}


def dependence(model, params, labels, shape):
  """|d outputs / d input| summed over the batch: [H, W, F, H, W, C] (output pixel, feature; input
  pixel, channel), the full Jacobian from one jitted forward-mode call (one tangent per input)."""
  x = jax.random.uniform(jax.random.PRNGKey(5), (2, *shape))
  jacobian = jax.jit(jax.jacfwd(lambda x: model.apply({"params": params}, x, labels)))(x)
  return np.abs(np.asarray(jacobian)).sum(axis=(0, 4))  # [B, H, W, F, B, H, W, C] -> sum b, b'


def output_channel(head, channels, num_features):
  """The data channel each output feature predicts (-1: the whole pixel, a mixture head)."""
  if head.channels_in_head:
    return np.full(num_features, -1)
  return np.arange(num_features) % channels


@pytest.mark.parametrize("name,num_classes,head_name", [
    ("pixelcnn", 0, "bernoulli"), ("pixelcnn", 0, "softmax_rgb"), ("gated_pixelcnn", 0, "softmax_rgb"),
    ("gated_pixelcnn", 10, "mixture_rgb"), ("pixelcnn_pp", 10, "mixture_rgb")])
def test_outputs_never_depend_on_the_pixel_or_anything_after_it(name, num_classes, head_name):
  """Output feature f at pixel p may read pixels before p, and at p only the channels before the one
  f predicts (none for a whole-pixel head). Checked against every (pixel, channel) of the input."""
  head, channels = HEADS_UNDER_TEST[head_name]
  shape = (4, 4, channels)
  model, params, labels = make(name, head, shape, num_classes,
                               num_layers=1 if name == "pixelcnn_pp" else 2)
  grads = dependence(model, params, labels, shape)
  height, width, num_features = grads.shape[:3]
  raster = np.arange(height * width).reshape(height, width)
  out_pixel = raster[:, :, None, None, None, None]
  in_pixel = raster[None, None, None, :, :, None]
  out_channel = output_channel(head, channels, num_features)[None, None, :, None, None, None]
  in_channel = np.arange(channels)[None, None, None, None, None, :]
  allowed = (in_pixel < out_pixel) | ((in_pixel == out_pixel) & (in_channel < out_channel))
  forbidden = np.broadcast_to(~allowed, grads.shape)
  assert np.all(grads[forbidden] == 0.0), np.argwhere(forbidden & (grads != 0))[:5]
  assert grads[-1, -1, :, -1, -2].sum() > 0 and grads[-1, -1, :, 0, -1].sum() > 0  # reads the past


def gated_receptive_field(num_layers, kernel_size, row, col, shape):
  """The earlier pixels within reach of (row, col) through the vertical (down-shifted, widening by
  k/2 a layer) and horizontal stacks: a rectangle above and the row to the left, no blind spot."""
  reach = num_layers * (kernel_size // 2)
  field = np.zeros(shape[:2], bool)
  field[max(row - reach - 1, 0):row, max(col - reach, 0):col + reach + 1] = True
  field[row, max(col - reach, 0):col] = True
  return field


def stacked_mask_field(num_blocks, kernel_size, input_kernel, row, col, shape):
  """(the pixels that paths through stacked masked convolutions reach, the rectangle around them):
  a mask-A k0 x k0 layer, then mask-B k x k layers; each adds one offset its mask opens."""

  def opened(k, centre):
    r = k // 2
    return {(a, b) for a in range(-r, 1) for b in range(-r, r + 1) if a < 0 or b < 0 or (centre and b == 0)}

  offsets = opened(input_kernel, False)
  for _ in range(num_blocks):
    offsets = {(a + c, b + d) for a, b in offsets for c, d in opened(kernel_size, True)}
  reached = np.zeros(shape[:2], bool)
  for a, b in offsets:
    if 0 <= row + a < shape[0] and 0 <= col + b < shape[1]:
      reached[row + a, col + b] = True
  rows, cols = np.nonzero(reached)
  rectangle = np.zeros_like(reached)
  rectangle[rows.min():row, cols.min():cols.max() + 1] = True
  rectangle[row, cols.min():col] = True
  return reached, rectangle


def test_gated_pixelcnn_reads_its_whole_receptive_field_and_the_pixelcnn_has_a_blind_spot():
  """van den Oord et al. 2016b, Figure 1: stacked masked convolutions miss pixels to the upper right
  of the current one; the vertical + horizontal stacks read every pixel above within reach."""
  head, shape = heads.Bernoulli(), (9, 9, 1)
  row, col = 8, 4
  x = jax.random.uniform(jax.random.PRNGKey(5), (1, *shape))
  for name in ("gated_pixelcnn", "pixelcnn"):
    model, params, labels = make(name, head, shape, num_layers=3)
    logit = lambda x: model.apply({"params": params}, x, labels)[0, row, col, 0]
    reads = np.asarray(jax.jit(jax.grad(logit))(x))[0, :, :, 0] != 0
    if name == "gated_pixelcnn":
      np.testing.assert_array_equal(reads, gated_receptive_field(3, 3, row, col, shape))
    else:  # ReLUs may close single paths, so: never beyond the paths, and never the blind spot.
      reached, rectangle = stacked_mask_field(3, 3, 3, row, col, shape)
      assert not np.any(reads & ~reached)
      blind = rectangle & ~reached
      assert blind.sum() >= 3 and not blind[:, :col + 1].any(), blind.astype(int)  # upper right
      assert reads[blind].sum() == 0 and reads.sum() > blind.sum()


# -- heads and losses against independent computations --------------------------------------------

def test_bernoulli_and_softmax_log_probs_match_numpy():
  logits = np.random.default_rng(0).normal(size=(3, 4, 4, 1)) * 3
  x = (np.random.default_rng(1).random((3, 4, 4, 1)) > 0.5).astype(np.float32)
  expected = np.where(x > 0, -np.log1p(np.exp(-logits)), -np.log1p(np.exp(logits)))[..., 0]
  np.testing.assert_allclose(heads.Bernoulli().log_prob(jnp.asarray(logits, jnp.float32), x),
                             expected, rtol=1e-5)

  levels, channels = 5, 3
  outputs = np.random.default_rng(2).normal(size=(2, 3, 3, levels * channels))
  index = np.random.default_rng(3).integers(0, levels, (2, 3, 3, channels))
  x = -1.0 + 2.0 * index / (levels - 1)
  expected = np.zeros((2, 3, 3))
  for c in range(channels):
    logits_c = outputs[..., c::channels]  # features v * C + c
    log_softmax = logits_c - np.log(np.exp(logits_c).sum(-1, keepdims=True))
    expected += np.take_along_axis(log_softmax, index[..., c:c + 1], -1)[..., 0]
  head = heads.Softmax(levels, (-1.0, 1.0))
  np.testing.assert_allclose(head.log_prob(jnp.asarray(outputs, jnp.float32), jnp.asarray(x, jnp.float32)),
                             expected, rtol=1e-5)


def test_logistic_mixture_matches_a_float64_cdf_computation_and_sums_to_one():
  """PixelCNN++ eqs. 2-3 by hand: logistic CDF differences per channel (edge bins open), means of G
  and B shifted by tanh'd coefficients times the earlier channels, mixed by softmax weights."""
  levels, k, channels = 6, 3, 3
  head = heads.LogisticMixture(levels, (0.0, 1.0), k)
  rng = np.random.default_rng(0)
  outputs = rng.normal(size=(head.num_outputs(channels),)) * 0.7
  grid = np.arange(levels) / (levels - 1)
  pixels = np.array(list(itertools.product(grid, repeat=channels)))  # every pixel value: [216, 3]
  log_p = np.asarray(head.log_prob(jnp.asarray(np.tile(outputs, (len(pixels), 1)), jnp.float32),
                                   jnp.asarray(pixels, jnp.float32)), np.float64)
  np.testing.assert_allclose(np.exp(log_p).sum(), 1.0, rtol=1e-4)

  weights = np.exp(outputs[:k]) / np.exp(outputs[:k]).sum()
  params = outputs[k:].reshape(k, -1)
  means, log_scales, coefficients = params[:, :3], np.maximum(params[:, 3:6], -7), np.tanh(params[:, 6:])
  h = 1 / (2 * (levels - 1))
  expected = np.zeros(len(pixels))
  for component in range(k):
    a, b, g = coefficients[component]
    adjusted = [means[component, 0] + 0 * pixels[:, 0],
                means[component, 1] + a * pixels[:, 0],
                means[component, 2] + b * pixels[:, 0] + g * pixels[:, 1]]
    probability = weights[component]
    for c in range(channels):
      cdf = lambda t: stats.logistic.cdf(t, loc=adjusted[c], scale=np.exp(log_scales[component, c]))
      upper = np.where(pixels[:, c] > 1 - h, 1.0, cdf(pixels[:, c] + h))
      lower = np.where(pixels[:, c] < h, 0.0, cdf(pixels[:, c] - h))
      probability = probability * (upper - lower)
    expected += probability
  np.testing.assert_allclose(np.exp(log_p), expected, rtol=1e-3, atol=1e-7)


def test_loss_is_the_hand_computed_log_likelihood_of_the_experiment():
  experiment = prepared("pixelcnn_binarized_digits", *SMALL, "model.dist_aug=none")
  x = experiment.held_out
  params = jax.jit(experiment.init)(jax.random.PRNGKey(0), {"image": x}).params
  logits = np.asarray(jax.jit(experiment.model.apply)({"params": params}, x), np.float64)
  x64 = np.asarray(x, np.float64)
  expected = -(x64 * -np.log1p(np.exp(-logits)) + (1 - x64) * -np.log1p(np.exp(logits))).sum((1, 2, 3))
  loss, terms = jax.jit(experiment.objective)(params, {"image": x})
  np.testing.assert_allclose(loss, expected, rtol=1e-5)
  np.testing.assert_allclose(terms["nll"], expected, rtol=1e-5)
  assert "bits_per_dim" not in terms  # binary data report nats


def test_bits_per_dim_is_the_discrete_nll_in_the_dequantized_convention():
  """-log2 P(v) / D, and the same number as Glow's dequantized bits/dim of the density P(v) L^D."""
  log_prob = jnp.array([-100.0, -150.0])
  loss, terms = losses.bits_per_dim(log_prob, 64, 17)
  np.testing.assert_allclose(loss, [100 / (64 * math.log(2)), 150 / (64 * math.log(2))], rtol=1e-6)
  np.testing.assert_allclose(terms["nll"], [100.0, 150.0])
  density = log_prob + 64 * math.log(17)
  glow = (-density + 64 * math.log(17)) / (64 * math.log(2))
  np.testing.assert_allclose(terms["bits_per_dim"], glow, rtol=1e-6)
  np.testing.assert_allclose(losses.nll(log_prob, 64, 17)[0], [100.0, 150.0])


def test_losses_heads_and_samplers_by_name_and_wrong_configs_are_errors():
  assert losses.LOSSES.get("nll") is losses.nll
  assert losses.LOSSES.get("jaxgen.families.pixelcnn.losses:bits_per_dim") is losses.bits_per_dim
  with pytest.raises(UnknownNameError, match="valid: bits_per_dim, nll"):
    losses.LOSSES.get("elbo")
  with pytest.raises(UnknownNameError, match="valid: bernoulli, logistic_mixture, softmax"):
    PixelCNNExperiment(load_config("pixelcnn_binarized_digits", "model.head=gaussian"))
  with pytest.raises(UnknownNameError, match="valid: fast, plain"):
    PixelCNNExperiment(load_config("pixelcnn_binarized_digits", "sample.method=slow"))
  with pytest.raises(UnknownNameError, match="valid: diagonal_bilstm, gated_pixelcnn, pixelcnn, "):
    PixelCNNExperiment(load_config("pixelcnn_binarized_digits", "model.name=pixelrnn"))
  with pytest.raises(ConfigError, match="needs binary data"):
    PixelCNNExperiment(load_config("pixelcnn_binarized_digits", "data.name=digits"))
  with pytest.raises(ConfigError, match="data.dequantize=False"):
    PixelCNNExperiment(load_config("gated_pixelcnn_digits", "data.dequantize=True"))


# -- sampling ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("name,head_name,num_classes", [("pixelcnn", "softmax_rgb", 0),
                                                        ("gated_pixelcnn", "mixture_rgb", 10)])
def test_fast_sampler_draws_the_plain_samplers_samples(name, head_name, num_classes):
  """Same params, same key: the same samples, from scratch and completing given rows."""
  head, channels = HEADS_UNDER_TEST[head_name]
  shape = (5, 4, channels)
  model, params, labels = make(name, head, shape, num_classes)
  rng = jax.random.PRNGKey(7)
  given = jax.random.uniform(jax.random.PRNGKey(8), (2, *shape)).round()
  samplers = [jax.jit(lambda canvas, first_row, sampler=sampler: sampler(
      model, params, head, canvas, labels, rng, 0.8, first_row)) for sampler in (sampling.plain, sampling.fast)]
  for first_row, canvas in ((0, jnp.zeros((2, *shape))), (2, given)):
    draws = [np.asarray(sampler(canvas, first_row)) for sampler in samplers]
    np.testing.assert_array_equal(draws[0], draws[1])
    np.testing.assert_array_equal(draws[0][:, :first_row], canvas[:, :first_row])  # given rows kept
    assert len(np.unique(draws[0][:, first_row:])) > 2  # not a constant image


def test_samples_follow_the_models_own_probabilities():
  """On 2x2 binary images the model's P over all 16 images is exact (sums to 1), and the fast
  sampler's frequencies over 20,000 draws match it; at temperature T they match the product of the
  tempered conditionals sigmoid(logit / T), computed from the network's outputs."""
  head, shape = heads.Bernoulli(), (2, 2, 1)
  model, params, _ = make("gated_pixelcnn", head, shape)
  images = jnp.asarray(list(itertools.product([0.0, 1.0], repeat=4)), jnp.float32).reshape(16, *shape)
  logits = jax.jit(lambda x: model.apply({"params": params}, x))(images)
  sample = jax.jit(lambda temperature: sampling.fast(model, params, head, jnp.zeros((20_000, *shape)),
                                                     None, jax.random.PRNGKey(0), temperature))
  for temperature in (1.0, 0.5):
    log_p = np.asarray(jnp.sum(head.log_prob(logits / temperature, images), axis=(1, 2)), np.float64)
    probabilities = np.exp(log_p)
    np.testing.assert_allclose(probabilities.sum(), 1.0, rtol=1e-5)
    codes = np.asarray(sample(temperature), int).reshape(-1, 4) @ np.array([8, 4, 2, 1])
    observed = np.bincount(codes, minlength=16) / len(codes)
    standard_error = np.sqrt(probabilities * (1 - probabilities) / 20_000)
    assert np.all(np.abs(observed - probabilities) < 4 * standard_error + 1e-4), (observed, probabilities)


# -- distribution augmentation --------------------------------------------------------------------

def test_dihedral_transforms_are_the_eight_symmetries_of_the_square_and_invert():
  x = np.arange(2 * 4 * 4, dtype=np.float32).reshape(2, 4, 4, 1)  # no symmetry of its own
  transforms = augment.transform_set("dihedral", x.shape[1:])
  moved = [np.asarray(augment.apply(t, jnp.asarray(x))) for t in transforms]
  rotations = [np.rot90(y, k, axes=(1, 2)) for y in (x, x.transpose(0, 2, 1, 3)) for k in range(4)]
  key = lambda y: y.tobytes()
  assert sorted(map(key, moved)) == sorted(map(key, rotations))  # each exactly once
  np.testing.assert_array_equal(moved[0], x)  # t = 0 is the identity
  for t, y in zip(transforms, moved):
    np.testing.assert_array_equal(augment.invert(t, jnp.asarray(y)), x)
  index = jnp.array([5, 2])
  each = augment.apply_each(transforms, jnp.asarray(x), index)
  np.testing.assert_array_equal(each[0], moved[5][0])
  np.testing.assert_array_equal(each[1], moved[2][1])
  np.testing.assert_array_equal(augment.invert_each(transforms, each, index), x)
  flips = augment.transform_set("flips", (4, 6, 1))
  assert flips == transforms[:4]  # the flips are the dihedral set's first four, no transpose
  assert augment.transform_set("none", (4, 4, 1)) == transforms[:1]
  with pytest.raises(ConfigError, match="needs square ones"):
    augment.transform_set("dihedral", (4, 6, 1))
  with pytest.raises(UnknownNameError, match="valid: dihedral, flips, none"):
    augment.transform_set("rotations", (4, 4, 1))


def test_distribution_augmentation_evaluates_the_mixture_over_transforms():
  """nll = -log 1/8 sum_t P(t(x) | t), each term the conditional network's exact likelihood of the
  transformed images, summed here in float64; nll_identity is the t = 0 term; training draws a
  transform per example; sampling is the same with either sampler."""
  experiment = prepared("pixelcnn_binarized_digits", *SMALL, "model.dist_aug=dihedral")
  x = experiment.held_out
  state = jax.jit(experiment.init)(jax.random.PRNGKey(0), {"image": x})
  params = state.params
  log_prob = jax.jit(experiment.log_prob)
  terms = np.stack([np.asarray(log_prob(params, augment.apply(t, x),
                                        jnp.full((len(x),), n, jnp.int32)), np.float64)
                    for n, t in enumerate(experiment.transforms)])
  assert np.ptp(terms, axis=0).min() > 0  # the conditioning changes the model
  _, terms_out = jax.jit(experiment.objective)(params, {"image": x})
  expected = -(np.logaddexp.reduce(terms, axis=0) - np.log(8))
  np.testing.assert_allclose(terms_out["nll"], expected, rtol=1e-5)
  np.testing.assert_allclose(terms_out["nll_identity"], -terms[0], rtol=1e-5)
  train_loss, _ = jax.jit(experiment.objective)(params, {"image": x}, jax.random.PRNGKey(1))
  assert train_loss.shape == (len(x),) and np.all(np.isfinite(train_loss))

  plain = PixelCNNExperiment(load_config("pixelcnn_binarized_digits", *SMALL,
                                         "model.dist_aug=dihedral", "sample.method=plain"))
  draws = [np.asarray(jax.jit(e.sample, static_argnums=2)(state, jax.random.PRNGKey(2), 6))
           for e in (experiment, plain)]
  np.testing.assert_array_equal(draws[0], draws[1])
  assert set(np.unique(draws[0])) <= {0.0, 1.0}


# -- the experiment on the runner -----------------------------------------------------------------

def test_train_step_compiles_exactly_once(tmp_path):
  config = load_config("gated_pixelcnn_digits", "train.num_steps=6", "train.batch_size=16",
                       "log_every=2", "eval_every=6", "checkpoint_every=6", "model.features=4",
                       "model.num_layers=1", "model.output_features=4", "eval.fid_extractor=''")
  run, _ = train_inspectable(config, str(tmp_path / "run"))
  assert run.train_step_fn._cache_size() == 1
  assert run.eval_step_fn._cache_size() == 1


def test_label_mixture_is_the_exact_mixture_over_labels_and_ignores_test_labels():
  """model.label_mixture: nll = -log 1/10 sum_y P(x | y) of the class-conditional network (under
  dist_aug each P(x | y) its mixture over transforms), summed here in float64; the batch's labels
  change nothing; training is the conditional model's own -log P(t(x) | t, y)."""
  experiment = prepared("pixelcnn_binarized_digits", *SMALL, "model.conditional=True",
                        "model.label_mixture=True", "model.dist_aug=flips", "model.dropout=0.0")
  x, labels = experiment.held_out, experiment.held_out_labels
  params = jax.jit(experiment.init)(jax.random.PRNGKey(0), {"image": x, "label": labels}).params
  log_prob = jax.jit(experiment.log_prob)
  terms = np.stack([[np.asarray(log_prob(params, augment.apply(t, x),
                                         jnp.full((len(x),), y * 4 + n, jnp.int32)), np.float64)
                     for n, t in enumerate(experiment.transforms)] for y in range(10)])
  per_label = np.logaddexp.reduce(terms, axis=1) - np.log(4)  # [10, B]
  assert np.ptp(per_label, axis=0).min() > 0  # the labels change the model
  objective = jax.jit(experiment.objective)
  for batch_labels in (labels, (labels + 3) % 10):
    _, out = objective(params, {"image": x, "label": batch_labels})
    np.testing.assert_allclose(out["nll"], -(np.logaddexp.reduce(per_label, axis=0) - np.log(10)),
                               rtol=1e-5)
    np.testing.assert_allclose(out["nll_identity"],
                               -(np.logaddexp.reduce(terms[:, 0], axis=0) - np.log(10)), rtol=1e-5)
  # Training (the protocol's loss): each example's -log P(t(x) | t, y) with its own label y and
  # one of the 4 transforms t, not the mixture.
  train_loss, _ = jax.jit(experiment.loss)(params, {}, {"image": x, "label": labels},
                                           jax.random.PRNGKey(1), 0)
  own = -terms[np.asarray(labels), :, np.arange(len(x))]  # [B, T]
  gaps = np.abs(own - np.asarray(train_loss, np.float64)[:, None]).min(axis=1)
  np.testing.assert_allclose(gaps, 0.0, atol=1e-4 * np.abs(own).max())
  with pytest.raises(ConfigError, match="set model.conditional=True"):
    PixelCNNExperiment(load_config("pixelcnn_binarized_digits", "model.label_mixture=True"))


def test_sample_grid_shows_samples_then_held_out_images_their_top_halves_and_completions():
  """prepare keeps the first 10 validation images and labels in stored order; the grid (10 columns) is
  whole rows of samples, those images, their top halves, and 2 completions that keep the top
  halves and draw the bottom halves on the 17-level grid."""
  experiment = prepared("cond_gated_pixelcnn_digits", "model.features=4", "model.num_layers=1",
                        "model.output_features=4")
  test = next(iter(data_lib.load("digits", "validation", 10, shuffle=False, repeat=False,
                                 scale="0_1")))
  np.testing.assert_array_equal(experiment.held_out, test["image"])
  np.testing.assert_array_equal(experiment.held_out_labels, test["label"])
  x = experiment.held_out
  state = jax.jit(experiment.init)(jax.random.PRNGKey(0), {"image": x, "label": test["label"]})
  grid = np.asarray(jax.jit(experiment.sample_grid)(state, jax.random.PRNGKey(1)))
  assert experiment.grid_columns == 10
  rows = 64 // 10 * 10  # eval.num_samples rounded down to whole rows
  assert grid.shape == (rows + 40, 8, 8, 1)
  originals, top_halves = grid[rows:rows + 10], grid[rows + 10:rows + 20]
  completions = grid[rows + 20:]
  np.testing.assert_array_equal(originals, x)
  np.testing.assert_array_equal(top_halves[:, :4], x[:, :4])
  assert not top_halves[:, 4:].any()
  for completion in np.split(completions, 2):
    np.testing.assert_array_equal(completion[:, :4], x[:, :4])
  np.testing.assert_allclose(grid * 16, np.round(grid * 16), atol=1e-5)  # on the 17-level grid
  assert not np.array_equal(completions[:10, 4:], completions[10:, 4:])  # two draws, two keys


@pytest.mark.parametrize("label_mixture", [False, True])
def test_evaluate_reports_the_results_means_and_the_sample_metrics(monkeypatch, label_mixture):
  """evaluate: the means of the runner's per-example results (the labels left out), the number of
  test examples, and image_sample_metrics of eval.num_image_samples samples scaled to [0, 1],
  with the labels that the runner's chunks of eval.batch_size samples cycle (none for a mixture)."""
  experiment = prepared("pixelcnn_binarized_digits", "model.conditional=True", "eval.batch_size=4",
                        "eval.num_image_samples=10", f"model.label_mixture={label_mixture}")
  results = {"loss": np.array([1.0, 2.0, 6.0]), "nll": np.array([1.0, 2.0, 6.0]),
             "nll_identity": np.array([2.0, 3.0, 4.0]), "label": np.array([7.0, 1.0, 2.0])}
  asked, seen = [], {}

  def sampler(rng, num):
    asked.append(num)
    return np.linspace(0.0, 1.0, num * 64).reshape(num, 8, 8, 1)

  def image_sample_metrics(images, dataset, extractor, labels):
    seen.update(images=images, dataset=dataset, extractor=extractor, labels=labels)
    return {"fid": 1.5}

  monkeypatch.setattr(evaluation, "image_sample_metrics", image_sample_metrics)
  metrics = experiment.evaluate(None, results, sampler, jax.random.PRNGKey(0))
  assert metrics == {"loss": 3.0, "nll": 3.0, "nll_identity": 3.0, "num_test_examples": 3,
                     "fid": 1.5}
  assert asked == [10] and seen["dataset"] == "binarized_digits"
  assert seen["extractor"].fid_extractor == "digits"
  np.testing.assert_array_equal(seen["images"], sampler(None, 10))
  if label_mixture:
    assert seen["labels"] is None
  else:
    np.testing.assert_array_equal(seen["labels"], [0, 1, 2, 3, 0, 1, 2, 3, 0, 1])


def test_jaxgen_eval_nll_is_the_exact_mixture_over_transforms_of_the_trained_state(tmp_path):
  """runner.evaluate's nll (one pass of evaluate_step, then evaluate) is the mean over the test
  split of -log 1/8 sum_t P(t(x) | t) of the trained network, summed here in float64."""
  config = load_config("pixelcnn_binarized_digits", "train.num_steps=2", "train.batch_size=16",
                       "log_every=2", "eval_every=2", "checkpoint_every=2", "model.features=4",
                       "model.num_layers=1", "model.output_features=4", "eval.fid_extractor=''")
  workdir = str(tmp_path / "run")
  runner.train(config, workdir)
  metrics = runner.evaluate(workdir)
  run, state = runner.restore(workdir)
  experiment = run.experiment
  x = jnp.asarray(evaluation.split_images("binarized_digits", "test", 300, scale="0_1"))
  log_prob = jax.jit(experiment.log_prob)
  terms = np.stack([np.asarray(log_prob(state.eval_params, augment.apply(t, x),
                                        jnp.full((len(x),), n, jnp.int32)), np.float64)
                    for n, t in enumerate(experiment.transforms)])
  assert metrics["num_test_examples"] == 300 and metrics["step"] == 2
  mixture = np.logaddexp.reduce(terms, axis=0) - np.log(8)  # log 1/8 sum_t P(t(x) | t): [N]
  np.testing.assert_allclose(metrics["nll"], -np.mean(mixture), rtol=1e-5)
  np.testing.assert_allclose(metrics["nll_identity"], -np.mean(terms[0]), rtol=1e-5)
