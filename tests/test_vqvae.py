"""The vqvae family (VQ-VAE + a Gated PixelCNN or Transformer prior, van den Oord et al. 2017): the
quantizer's straight-through gradient, EMA update and dead-code restarts against NumPy, the priors'
causality and samplers, the bound's two terms against SciPy, the two stages' updates, and the
smoke config through the command line."""

import math
import os

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from scipy import special, stats

from conftest import REPO, perturbed_params, train_and_evaluate
from jaxgen.core import config as config_lib
from jaxgen.families.vqvae import losses, quantizer
from jaxgen.families.vqvae.experiment import make_experiment
from jaxgen.families.vqvae.model import PRIORS, PixelCNNPrior, TransformerPrior

jax.config.update("jax_default_matmul_precision", "highest")

SMOKE = os.path.join(REPO, "experiments", "vqvae_digits.py") + ":smoke"
SMALL = ("model.features=(8,)", "model.code_dim=4", "model.num_codes=8", "prior.features=8",
         "prior.num_layers=2", "prior.output_features=8")


@pytest.fixture(scope="module")
def small(request):
  """(experiment, batch, initial state): the smoke config's networks shrunk, stage 2 from step 1,
  on a batch of 8 random 17-level images; the prior ``request.param`` (default the PixelCNN)."""
  config = config_lib.load_config(SMOKE)
  config_lib.apply_overrides(config, [*SMALL, "model.vqvae_steps=1", "optimizer.warmup_steps=0",
                                      f"prior.name={getattr(request, 'param', 'gated_pixelcnn')}", "prior.num_heads=2"])
  experiment = make_experiment(config)
  rng = np.random.default_rng(0)
  batch = {"image": jnp.asarray(rng.integers(0, 17, (8, 8, 8, 1)) / 16, jnp.float32),
           "label": jnp.arange(8, dtype=jnp.int32) % 10}
  return experiment, batch, jax.jit(experiment.init)(jax.random.PRNGKey(0), batch)


def numpy_codebook(statistics, epsilon):
  """code_sum_k / N_k with N_k = (n_k + eps) / (n + K eps) * n, in float64."""
  sizes = np.asarray(statistics["cluster_size"], np.float64)
  total = sizes.sum()
  smoothed = (sizes + epsilon) / (total + len(sizes) * epsilon) * total
  return np.asarray(statistics["code_sum"], np.float64) / smoothed[:, None]


def test_quantize_takes_the_nearest_code_and_passes_the_gradient_straight_through():
  """z_q is the nearest code; d z_q / d z_e is the identity and the codes get no gradient from
  z_q; the commitment term moves z_e alone."""
  rng = np.random.default_rng(0)
  z_e = rng.standard_normal((2, 3, 3, 4)).astype(np.float32)
  codes = rng.standard_normal((8, 4)).astype(np.float32)
  z_q, indices = jax.jit(quantizer.quantize)(z_e, codes)
  nearest = np.argmin(np.sum((z_e[..., None, :] - codes) ** 2, axis=-1), axis=-1)
  np.testing.assert_array_equal(indices, nearest)
  np.testing.assert_allclose(z_q, codes[nearest], rtol=1e-6)
  cotangent = rng.standard_normal(z_e.shape).astype(np.float32)
  pullback = lambda z, c, t: jax.vjp(lambda a, b: quantizer.quantize(a, b)[0], z, c)[1](t)
  grad_z_e, grad_codes = jax.jit(pullback)(z_e, codes, cotangent)
  np.testing.assert_allclose(grad_z_e, cotangent)
  assert not np.any(grad_codes)
  commitment = lambda a, b: jnp.sum(losses.commitment(a, b))
  grad_z_e, grad_z_q = jax.jit(jax.grad(commitment, (0, 1)))(z_e, z_q)
  np.testing.assert_allclose(grad_z_e, 2 * (z_e - codes[nearest]), rtol=1e-5, atol=1e-6)
  assert not np.any(grad_z_q)


def test_ema_update_and_codebook_match_a_numpy_computation():
  """One update of Sonnet's VectorQuantizerEMA (decay 0.99): EMA of the counts and of the sums of
  the vectors assigned to each code (code 3 gets none), codes = sums / Laplace-smoothed counts."""
  rng = np.random.default_rng(1)
  num_codes, dim, decay, epsilon = 5, 3, 0.99, 0.1
  old = {"cluster_size": rng.uniform(0.5, 4.0, num_codes).astype(np.float32),
         "code_sum": rng.standard_normal((num_codes, dim)).astype(np.float32)}
  vectors = rng.standard_normal((12, dim)).astype(np.float32)
  indices = np.array([0, 1, 1, 2, 4, 4, 4, 0, 2, 1, 0, 4], np.int32)
  new = jax.jit(quantizer.ema_update, static_argnums=3)(old, vectors, indices, decay)
  counts = np.array([np.sum(indices == k) for k in range(num_codes)], np.float64)
  sums = np.stack([vectors[indices == k].sum(axis=0) for k in range(num_codes)]).astype(np.float64)
  expected = {"cluster_size": decay * old["cluster_size"] + (1 - decay) * counts,
              "code_sum": decay * old["code_sum"] + (1 - decay) * sums}
  for name in expected:
    np.testing.assert_allclose(new[name], expected[name], rtol=1e-6)
  np.testing.assert_allclose(quantizer.codebook(new, epsilon), numpy_codebook(expected, epsilon),
                             rtol=1e-5)


def test_dead_codes_restart_at_batch_vectors_and_live_codes_stay():
  rng = np.random.default_rng(2)
  old = {"cluster_size": np.array([5.0, 0.5, 2.0, 0.01, 1.5], np.float32),
         "code_sum": rng.standard_normal((5, 3)).astype(np.float32)}
  vectors = rng.standard_normal((20, 3)).astype(np.float32)
  new, restarted = jax.jit(quantizer.restart_dead)(old, vectors, 1.0, jax.random.PRNGKey(0))
  assert int(restarted) == 2
  for k in (1, 3):  # below 1.0: re-seeded at a vector of the batch, chosen once there
    assert new["cluster_size"][k] == 1.0
    assert np.any(np.all(vectors == np.asarray(new["code_sum"][k]), axis=1))
  for k in (0, 2, 4):
    assert new["cluster_size"][k] == old["cluster_size"][k]
    np.testing.assert_array_equal(new["code_sum"][k], old["code_sum"][k])


PRIOR_NETWORKS = {
    "gated_pixelcnn": lambda num_classes: PixelCNNPrior(
        num_codes=6, features=4, num_layers=2, kernel_size=3, output_features=8,
        num_classes=num_classes),
    "transformer": lambda num_classes: TransformerPrior(
        num_codes=6, length=16, width=8, num_layers=2, num_heads=2, num_classes=num_classes)}


@pytest.mark.parametrize("name", PRIORS)
@pytest.mark.parametrize("num_classes", [0, 10])
def test_prior_logits_up_to_a_position_ignore_its_code(name, num_classes):
  """Changing the code at position p leaves the logits at every position <= p (raster order)
  unchanged, and changes some later position's."""
  height = width = 4
  positions = height * width
  prior = PRIOR_NETWORKS[name](num_classes)
  codes = np.random.default_rng(3).integers(0, 6, (2, height, width))
  # Map 0 as drawn, then map p + 1 with the code at position p changed: [1 + P, 2, h, w].
  changed = np.repeat(codes[None], 1 + positions, axis=0)
  for p in range(positions):
    changed[1 + p, :, p // width, p % width] = (codes[:, p // width, p % width] + 1) % 6
  changed = jnp.asarray(changed.reshape(-1, height, width), jnp.int32)
  labels = jnp.tile(jnp.array([3, 7]), 1 + positions) if num_classes else None
  variables = jax.jit(prior.init)(jax.random.PRNGKey(0), changed, labels)
  params = {"params": perturbed_params(variables["params"], 0.3)}  # no "perturbations"
  logits = np.asarray(jax.jit(prior.apply)(params, changed, labels)).reshape(
      1 + positions, 2, positions, -1)
  for p in range(positions):
    moved = np.abs(logits[1 + p] - logits[0]).max(axis=-1)  # [2, positions]
    assert np.all(moved[:, :p + 1] == 0), p
    if p < positions - 1:
      assert np.all(moved[:, p + 1:].max(axis=1) > 0), p


@pytest.mark.parametrize("small", PRIORS, indirect=True)
def test_bound_is_the_decoders_nll_plus_the_priors_nll_of_the_encoders_codes(small):
  """bits/dim = (-log p(x|z_q(c)) - log p(c)) / (D ln 2), with c the nearest codes (NumPy),
  the discretized logistic's bin probabilities from SciPy's logistic CDF and the prior's
  log-softmax from SciPy, all from the networks' outputs."""
  experiment, batch, state = small
  state = state.replace(params=perturbed_params(state.params, 0.1))
  terms = jax.jit(experiment.eval_step)(state, batch, jax.random.PRNGKey(1))
  params, x = state.params, np.asarray(batch["image"], np.float64)

  codebook = numpy_codebook(state.model_state["codebook"], experiment.config.quantizer.epsilon)
  z_e = np.asarray(jax.jit(experiment.encode)(params["vqvae"], batch["image"]), np.float64)
  codes = np.argmin(np.sum((z_e[..., None, :] - codebook) ** 2, axis=-1), axis=-1)
  loc, log_scale = (np.asarray(a, np.float64) for a in jax.jit(experiment.decode)(
      params["vqvae"], jnp.asarray(codebook[codes], jnp.float32)))
  half = 1 / 32  # 17 levels on [0, 1]
  upper = np.where(x > 1 - half, 1.0, stats.logistic.cdf(x + half, loc, np.exp(log_scale)))
  lower = np.where(x < half, 0.0, stats.logistic.cdf(x - half, loc, np.exp(log_scale)))
  recon_nll = -np.log(upper - lower).sum(axis=(1, 2, 3))
  logits = np.asarray(jax.jit(experiment.prior.apply)({"params": params["prior"]},
                                                      jnp.asarray(codes)), np.float64)
  log_p = special.log_softmax(logits, axis=-1)
  prior_nll = -np.take_along_axis(log_p, codes[..., None], axis=-1).sum(axis=(1, 2, 3))

  np.testing.assert_allclose(terms["recon_nll"], recon_nll, rtol=1e-4)
  np.testing.assert_allclose(terms["prior_nll"], prior_nll, rtol=1e-5)
  np.testing.assert_allclose(terms["bits_per_dim"], (recon_nll + prior_nll) / (64 * math.log(2)),
                             rtol=1e-4)


def test_each_stage_updates_its_part_alone(small):
  """Step 0 (stage 1) moves the VQ-VAE and the codebook statistics, not the prior; step 1
  (stage 2, model.vqvae_steps=1) moves the prior, not the VQ-VAE, and keeps the codebook."""
  experiment, batch, before = small
  step = jax.jit(experiment.train_step)
  states = [before]
  for n in range(2):
    states.append(step(states[-1], batch, jax.random.PRNGKey(n))[0])
  changed = lambda a, b: [bool(np.any(x != y))
                          for x, y in zip(jax.tree.leaves(a), jax.tree.leaves(b))]
  for n, (trained, frozen) in enumerate((("vqvae", "prior"), ("prior", "vqvae"))):
    old, new = states[n], states[n + 1]
    assert all(changed(old.params[trained], new.params[trained])), n
    assert not any(changed(old.params[frozen], new.params[frozen])), n
    assert any(changed(old.model_state, new.model_state)) == (trained == "vqvae"), n


def test_smoke_config_trains_and_evaluates_through_the_command_line(tmp_path):
  workdir = str(tmp_path / "vqvae")
  metrics = train_and_evaluate(SMOKE, workdir, *SMALL)
  assert 0 < metrics["codebook_usage"] <= 1 and 1 <= metrics["code_perplexity"] <= 8
  assert metrics["bits_per_dim"] == pytest.approx(metrics["recon_bits_per_dim"]
                                                  + metrics["prior_bits_per_dim"])
  assert all(math.isfinite(metrics[name]) for name in ("recon_mse", "fid", "nll_bound"))
  assert os.path.exists(os.path.join(workdir, "samples", "step_12.png"))


@pytest.mark.parametrize("small", PRIORS, indirect=True)
def test_prior_samples_are_drawn_position_by_position_from_its_logits(small):
  """The cached sampler's code maps equal a plain ancestral draw: at each position t in raster
  order, the whole prior on the map so far and a categorical draw with key fold_in(rng, t)."""
  experiment, _, state = small
  params = perturbed_params(state.params["prior"], 0.3)
  rng = jax.random.PRNGKey(5)
  drawn = jax.jit(experiment.draw_codes, static_argnums=3)(params, None, rng, 3)
  logits_at = jax.jit(lambda codes: experiment.prior.apply({"params": params}, codes))
  height, width = experiment.code_shape
  expected = jnp.zeros((3, height, width), jnp.int32)
  for t in range(height * width):
    row, col = divmod(t, width)
    code = jax.random.categorical(jax.random.fold_in(rng, t), logits_at(expected)[:, row, col])
    expected = expected.at[:, row, col].set(code)
  np.testing.assert_array_equal(drawn, expected)
  assert len(np.unique(np.asarray(drawn))) > 1
