"""pix2pix: edge maps against scipy's Sobel, the PatchGAN's receptive field, the generator's loss
and SSIM against independent computations, and the smoke configs through the command line."""

import json
import math
import os

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from scipy import ndimage

from conftest import EXPERIMENTS, train_and_evaluate
from jaxgen import data as data_lib
from jaxgen.core import config as config_lib
from jaxgen.data import edges, sources
from jaxgen.errors import ConfigError
from jaxgen.eval import ssim as ssim_lib
from jaxgen.families.pix2pix import experiment as pix2pix_experiment
from jaxgen.nn.translation import PatchDiscriminator, patch_grid, receptive_field

SMOKE = os.path.join(EXPERIMENTS, "pix2pix_fashion_mnist.py:smoke")
# Unit tests build the networks with lax's convolutions: a few ops to dispatch eagerly.
TINY = ["model.features=4", "model.d_features=4", "model.conv=xla"]


def scipy_edges(levels: np.ndarray) -> np.ndarray:
  """[H, W] levels -> the edge map by its definition, with scipy's Sobel filters."""
  x = levels.astype(np.float64)
  magnitude = np.hypot(ndimage.sobel(x, axis=0, mode="reflect"),
                       ndimage.sobel(x, axis=1, mode="reflect"))
  if magnitude.max() == 0:
    return np.zeros_like(magnitude)
  return (magnitude / magnitude.max() >= edges.EDGE_THRESHOLD).astype(np.float64)


def pix2pix(*overrides):
  config = config_lib.load_config(SMOKE)
  config_lib.apply_overrides(config, TINY + list(overrides))
  return pix2pix_experiment.make_experiment(config)


# -- paired data --------------------------------------------------------------------------------

def test_edge_maps_equal_scipys_sobel_on_random_and_flat_images():
  rng = np.random.default_rng(0)
  images = rng.integers(0, 256, (3, 9, 7, 1)).astype(np.uint8)
  images[2] = 17  # flat: no edges
  expected = np.stack([scipy_edges(image[..., 0]) for image in images])[..., None]
  np.testing.assert_array_equal(edges.edge_map(images), expected)


def test_streams_pair_each_image_with_the_edges_of_its_stored_levels():
  stored = sources.source("fashion_mnist").read("test", None)
  test = next(iter(data_lib.load("fashion_mnist", "test", 16, shuffle=False, repeat=False,
                                 scale="-1_1", paired_source="edges")))
  levels = np.stack([np.asarray(stored[i]["example"])[..., 0] for i in range(16)])
  assert test["source"].shape == (16, 28, 28, 1) and test["source"].dtype == np.float32
  np.testing.assert_array_equal(test["source"][..., 0], [scipy_edges(x) for x in levels])
  # Training batches, shuffled, over two epochs: each source is its own image's edge map.
  # (Digits' 17 levels are the images times 16, exactly: their edge maps are the same.)
  train = iter(data_lib.load("digits", "train", 500, seed=3, paired_source="edges"))
  for _ in range(4):  # 2,000 of 1,347 examples
    batch = next(train)
    np.testing.assert_array_equal(batch["source"][..., 0],
                                  [scipy_edges(x) for x in batch["image"][..., 0]])


@pytest.mark.parametrize("options, message", [
    (dict(paired_source="sobel"), "paired_source must be '' or one of edges"),
    (dict(paired_source="edges", random_flip=True), "random_flip and augment"),
])
def test_bad_paired_sources_are_one_line_config_errors(options, message):
  with pytest.raises(ConfigError, match=message):
    data_lib.load("digits", "train", 8, **options)


def test_pix2pix_needs_a_paired_source():
  with pytest.raises(ConfigError, match="set data.paired_source"):
    pix2pix("data.paired_source=''")


# -- the networks and the objective -------------------------------------------------------------

@pytest.mark.parametrize("num_downsamples", [0, 1, 2])
def test_patchgan_scores_one_patch_per_receptive_field_arithmetic(num_downsamples):
  discriminator = PatchDiscriminator(features=4, num_downsamples=num_downsamples, conv="xla")
  source, image = jnp.zeros((1, 64, 64, 1)), jax.random.normal(jax.random.PRNGKey(1),
                                                                  (1, 64, 64, 1))
  params = discriminator.init(jax.random.PRNGKey(0), source, image)
  logits = discriminator.apply(params, source, image)
  rows, cols = patch_grid(64, 64, num_downsamples)
  side = 64 // 2 ** num_downsamples
  assert logits.shape == (1, rows, cols) == (1, side, side)
  # One logit's gradient is non-zero exactly on a receptive_field x receptive_field patch.
  centre = jax.jit(jax.grad(
      lambda x: discriminator.apply(params, source, x)[0, rows // 2, cols // 2]))
  support = np.abs(np.asarray(centre(image))[0, :, :, 0]) > 0
  seen_rows, seen_cols = np.flatnonzero(support.any(1)), np.flatnonzero(support.any(0))
  side = receptive_field(num_downsamples)  # 7, 16, 34
  assert seen_rows[-1] - seen_rows[0] + 1 == side == seen_cols[-1] - seen_cols[0] + 1
  assert support.sum() == side * side
  assert receptive_field(3) == 70  # the paper's 70x70 PatchGAN


def pairs_and_translations():
  """Four (source, image) pairs and translations of them: the generator's loss is a function of
  the translation G(x), whichever generator made it."""
  rng = np.random.default_rng(1)
  source = jnp.asarray(rng.integers(0, 2, (4, 28, 28, 1)), jnp.float32)
  image, translation = (jnp.asarray(rng.uniform(-1, 1, (4, 28, 28, 1)), jnp.float32)
                        for _ in range(2))
  l1 = np.mean(np.abs(np.asarray(translation, np.float64) - np.asarray(image, np.float64)))
  return source, image, translation, l1


def test_generator_loss_without_the_adversary_is_exactly_lambda_l1():
  experiment = pix2pix("loss.adversarial_weight=0")
  source, image, translation, l1 = pairs_and_translations()
  state = jax.eval_shape(experiment.init, jax.random.PRNGKey(0), {"source": source, "image": image})
  assert set(state.params) == {"generator"}  # no discriminator to train
  loss, terms = experiment.generator_objective(translation, None, source, image)
  np.testing.assert_allclose(loss, 100.0 * l1, rtol=1e-6)
  assert set(terms) == {"l1"}


def test_generator_loss_adds_the_non_saturating_term_of_every_patch():
  experiment = pix2pix("loss.adversarial_weight=0.5")
  source, image, translation, l1 = pairs_and_translations()
  d_params = experiment.discriminator.init(jax.random.PRNGKey(3), source, image)["params"]
  loss, _ = experiment.generator_objective(translation, d_params, source, image)
  fake_logits = np.asarray(experiment.critic(d_params, source, translation), np.float64)
  assert fake_logits.shape == (4, 14, 14)
  np.testing.assert_allclose(loss, 100.0 * l1 + 0.5 * np.mean(np.logaddexp(0.0, -fake_logits)),
                             rtol=1e-6)


# -- SSIM and PSNR ------------------------------------------------------------------------------

def direct_ssim(x: np.ndarray, y: np.ndarray, data_range: float = 1.0) -> float:
  """Wang et al.'s SSIM by its definition: weighted statistics of every 11x11 window inside the
  image (Gaussian weights, sigma 1.5), averaged over windows and channels. x, y: [H, W, C]."""
  offsets = np.arange(11) - 5.0
  weights = np.exp(-(offsets[:, None] ** 2 + offsets[None, :] ** 2) / (2 * 1.5 ** 2))
  weights /= weights.sum()
  c1, c2 = (0.01 * data_range) ** 2, (0.03 * data_range) ** 2
  values = []
  for c in range(x.shape[2]):
    for i in range(x.shape[0] - 10):
      for j in range(x.shape[1] - 10):
        a, b = x[i:i + 11, j:j + 11, c], y[i:i + 11, j:j + 11, c]
        mu_a, mu_b = np.sum(weights * a), np.sum(weights * b)
        var_a, var_b = np.sum(weights * (a - mu_a) ** 2), np.sum(weights * (b - mu_b) ** 2)
        cov = np.sum(weights * (a - mu_a) * (b - mu_b))
        values.append((2 * mu_a * mu_b + c1) * (2 * cov + c2)
                      / ((mu_a ** 2 + mu_b ** 2 + c1) * (var_a + var_b + c2)))
  return float(np.mean(values))


def test_ssim_equals_the_direct_windowed_computation():
  rng = np.random.default_rng(4)
  x = rng.uniform(0, 1, (2, 16, 14, 2))
  y = np.clip(x + rng.normal(0, 0.2, x.shape), 0, 1)
  y[1] = x[1] * 0.5 + 0.1  # the same structure, less contrast, brighter
  got = ssim_lib.ssim(jnp.asarray(x, jnp.float32), jnp.asarray(y, jnp.float32))
  np.testing.assert_allclose(got, [direct_ssim(x[i], y[i]) for i in range(2)], rtol=2e-5)
  np.testing.assert_allclose(ssim_lib.ssim(jnp.asarray(x), jnp.asarray(x)), [1.0, 1.0], rtol=1e-6)


def test_ssim_of_flat_images_and_psnr_have_their_closed_forms():
  a, b = 0.2, 0.6  # flat images: only the luminance term is left, (2ab + C1) / (a^2 + b^2 + C1)
  flat = lambda v: jnp.full((1, 12, 12, 1), v)
  np.testing.assert_allclose(ssim_lib.ssim(flat(a), flat(b)),
                             [(2 * a * b + 1e-4) / (a ** 2 + b ** 2 + 1e-4)], rtol=1e-4)
  np.testing.assert_allclose(ssim_lib.psnr(flat(a), flat(b)), [10 * np.log10(1 / 0.16)],
                             rtol=1e-5)


@pytest.mark.parametrize("name, side", [("digits", 8), ("fashion_mnist", 28)])
def test_ssim_is_measured_on_images_at_least_its_window_wide(name, side):
  """8x8 digits are narrower than SSIM's 11-pixel window: their evaluation skips SSIM alone."""
  e = pix2pix(f"data.name={name}")
  batch = {key: jax.ShapeDtypeStruct((4, side, side, 1), jnp.float32) for key in ("source", "image")}
  state = jax.eval_shape(e.init, jax.random.PRNGKey(0), batch)
  values = jax.eval_shape(e.evaluate_step, state, batch, jax.random.PRNGKey(1))
  assert {"l1", "psnr", "translation"} <= set(values) and ("ssim" in values) == (side >= 11)


# -- end to end ---------------------------------------------------------------------------------

def test_smoke_config_trains_and_evaluates_through_the_command_line(tmp_path):
  workdir = str(tmp_path / "pix2pix")
  metrics = train_and_evaluate(SMOKE, workdir)
  assert all(math.isfinite(metrics[name]) for name in ("psnr", "ssim", "l1", "fid"))
  assert metrics["fid_reference"] == "fashion_mnist/test" and metrics["eval_examples"] == 256
  rows = [json.loads(line) for line in open(os.path.join(workdir, "metrics.jsonl"))]
  assert any("d_loss" in r and "g_adversarial" in r for r in rows if r["split"] == "train")
  assert os.path.exists(os.path.join(workdir, "samples", "step_12.png"))


def test_l1_baseline_config_is_the_same_generator_without_a_discriminator():
  config = config_lib.load_config(os.path.join(EXPERIMENTS, "pix2pix_l1_fashion_mnist.py"))
  baseline = pix2pix_experiment.make_experiment(config)
  full = pix2pix_experiment.make_experiment(
      config_lib.load_config(os.path.join(EXPERIMENTS, "pix2pix_fashion_mnist.py")))
  assert baseline.discriminator is None and baseline.generator == full.generator
  batch = {name: jax.ShapeDtypeStruct((64, 28, 28, 1), jnp.float32) for name in ("source", "image")}
  state = jax.eval_shape(baseline.init, jax.random.PRNGKey(0), batch)
  _, metrics = jax.eval_shape(baseline.train_step, state, batch, jax.random.PRNGKey(1))
  assert set(metrics) == {"loss", "l1", "g_grad_norm", "g_param_norm"}
