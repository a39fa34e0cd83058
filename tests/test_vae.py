"""The VAE family: estimators, divergences and likelihoods against independent computations;
the IWAE bound against an exact log-likelihood; losses by name; ``evaluate`` on the runner's
per-example results and the prepared splits; one compile of the train step."""

import json
import math
import os

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from scipy import stats
from sklearn.decomposition import PCA
from sklearn.metrics import roc_auc_score

from conftest import REPO, train_inspectable
from jaxgen import data as data_lib
from jaxgen import eval as eval_lib
from jaxgen.core import config as config_lib
from jaxgen.core import evaluation
from jaxgen.core import latents
from jaxgen.data import synthetic
from jaxgen.errors import ConfigError, UnknownNameError
from jaxgen.families.vae import distributions, losses
from jaxgen.nn import gaussian
from jaxgen.families.vae.experiment import VAEExperiment

jax.config.update("jax_default_matmul_precision", "highest")


def load_config(name, *overrides):
  config = config_lib.load_config(os.path.join(REPO, "experiments", f"{name}.py"))
  config_lib.apply_overrides(config, list(overrides))
  return config


# -- estimators and divergences -------------------------------------------------------------------

def test_reparameterized_gradient_is_unbiased_against_the_score_function_estimator():
  """d/d(mu, log s) E_{z ~ N(mu, s^2)}[f(z)] for f(z) = z^2 + sin z, three ways: the pathwise
  (reparameterized) estimator, the score-function (REINFORCE) estimator, and the closed form
  E f = mu^2 + s^2 + sin(mu) exp(-s^2 / 2)."""
  mu, log_s, num = 0.3, math.log(0.8), 400_000
  f = lambda z: jnp.square(z) + jnp.sin(z)
  noise = jax.random.normal(jax.random.PRNGKey(0), (num, 1, 1, 1))  # one [S=1, B=1, K=1] each
  theta = jnp.array([mu, log_s])

  def pathwise(t, eps):
    return f(gaussian.reparameterize(t[None, :1], t[None, 1:], eps)).sum()

  def log_q(t, z):
    return gaussian.diagonal_gaussian_log_prob(z, t[:1], t[1:])

  pathwise_samples = np.asarray(jax.vmap(jax.grad(pathwise), (None, 0))(theta, noise))  # [num, 2]
  z = gaussian.reparameterize(theta[None, :1], theta[None, 1:], noise)[:, 0, 0]  # [num, 1]
  score = jax.vmap(jax.grad(log_q), (None, 0))(theta, z)
  score_samples = np.asarray(f(z) * score)  # [num, 2]

  s2 = math.exp(2 * log_s)
  damping = math.exp(-s2 / 2)
  exact = np.array([2 * mu + math.cos(mu) * damping, 2 * s2 - s2 * math.sin(mu) * damping])
  for samples in (pathwise_samples, score_samples):
    standard_error = samples.std(0) / math.sqrt(num)
    assert np.all(np.abs(samples.mean(0) - exact) < 4 * standard_error), (samples.mean(0), exact)
  # The point of reparameterizing: the same expectation at a fraction of the variance.
  assert np.all(pathwise_samples.var(0) < score_samples.var(0) / 2)


def test_analytic_kl_matches_monte_carlo_and_closed_form():
  mean = jnp.array([[0.0, 1.5, -0.7]])
  log_std = jnp.array([[0.0, -1.0, 0.4]])
  kl = np.asarray(gaussian.gaussian_kl(mean, log_std))[0]
  s = np.exp(np.asarray(log_std, np.float64))[0]
  m = np.asarray(mean, np.float64)[0]
  np.testing.assert_allclose(kl, np.log(1 / s) + (s**2 + m**2) / 2 - 0.5, rtol=1e-5, atol=1e-7)
  np.testing.assert_allclose(kl[0], 0.0, atol=1e-7)

  num = 200_000
  noise = jax.random.normal(jax.random.PRNGKey(1), (num, 1, 3))
  z = gaussian.reparameterize(mean, log_std, noise)
  log_ratio = np.asarray(gaussian.diagonal_gaussian_log_prob(z, mean, log_std)
                         - gaussian.standard_normal_log_prob(z))[:, 0]
  standard_error = log_ratio.std() / math.sqrt(num)
  assert abs(log_ratio.mean() - kl.sum()) < 4 * standard_error


def test_gaussian_log_probs_match_scipy():
  z = jax.random.normal(jax.random.PRNGKey(0), (5, 3))
  mean, log_std = jnp.full((3,), 0.5), jnp.array([0.1, -0.3, 0.0])
  expected = stats.norm(np.asarray(mean), np.exp(np.asarray(log_std))).logpdf(np.asarray(z)).sum(-1)
  np.testing.assert_allclose(gaussian.diagonal_gaussian_log_prob(z, mean, log_std), expected, rtol=1e-5)
  np.testing.assert_allclose(gaussian.standard_normal_log_prob(z),
                             stats.norm().logpdf(np.asarray(z)).sum(-1), rtol=1e-5)
  observation = distributions.Gaussian(None)
  np.testing.assert_allclose(observation.log_prob(mean, log_std, z),
                             stats.norm(np.asarray(mean), np.exp(np.asarray(log_std))).logpdf(np.asarray(z)),
                             rtol=1e-5)


def test_bernoulli_log_prob_matches_numpy():
  logits = jnp.array([-3.0, -0.2, 0.0, 2.5, 40.0])
  x = jnp.array([0.0, 1.0, 1.0, 0.0, 1.0])
  logits64 = np.asarray(logits, np.float64)
  expected = np.where(np.asarray(x) > 0, -np.log1p(np.exp(-logits64)), -np.log1p(np.exp(logits64)))
  np.testing.assert_allclose(distributions.Bernoulli().log_prob(logits, None, x), expected,
                             rtol=1e-5, atol=1e-7)


# -- the discretized logistic ----------------------------------------------------------------------

@pytest.mark.parametrize("num_levels,value_range", [(17, (0.0, 1.0)), (256, (-1.0, 1.0)), (2, (0.0, 1.0))])
def test_discretized_logistic_sums_to_one_and_matches_cdf_differences(num_levels, value_range):
  decoder = distributions.DiscretizedLogistic(num_levels, value_range)
  low, high = value_range
  levels = np.linspace(low, high, num_levels)
  # Locations inside, at and beyond the range; scales from far below a bin to wider than the range.
  loc = jnp.array([low, 0.37 * (high - low) + low, high, high + 0.5, low - 2.0])[:, None]
  for log_scale in (-7.0, -3.0, -1.0, 1.0):
    log_p = np.asarray(jax.jit(decoder.log_prob)(loc, jnp.full_like(loc, log_scale),
                                                 jnp.asarray(levels, jnp.float32)[None]), np.float64)
    np.testing.assert_allclose(np.exp(log_p).sum(axis=1), 1.0, rtol=1e-4)
    # Direct: F(c + h) - F(c - h) in float64, edge bins open to -inf / +inf.
    h = (high - low) / (2 * (num_levels - 1))
    cdf = lambda t: stats.logistic.cdf(t, loc=np.asarray(loc, np.float64), scale=math.exp(log_scale))
    upper = np.where(levels >= high - h / 2, 1.0, cdf(levels + h))
    lower = np.where(levels <= low + h / 2, 0.0, cdf(levels - h))
    direct = upper - lower
    visible = direct > 1e-6  # float32 log-probabilities are compared where they carry digits
    np.testing.assert_allclose(np.exp(log_p)[visible], direct[visible], rtol=1e-3)
    assert np.all(np.isfinite(log_p))


def test_discretized_logistic_samples_are_levels_drawn_with_the_right_probabilities():
  decoder = distributions.DiscretizedLogistic(17, (0.0, 1.0))
  loc, log_scale = jnp.full((50_000,), 0.3), jnp.full((50_000,), -2.5)
  draws = np.asarray(decoder.sample(loc, log_scale, jax.random.PRNGKey(0)))
  index = np.round(draws * 16).astype(int)
  np.testing.assert_allclose(draws, index / 16, atol=1e-6)
  levels = jnp.linspace(0.0, 1.0, 17)
  expected = np.exp(np.asarray(decoder.log_prob(loc[:17], log_scale[:17], levels)))
  observed = np.bincount(index, minlength=17) / len(index)
  np.testing.assert_allclose(observed, expected, atol=0.01)


# -- losses ---------------------------------------------------------------------------------------

def test_losses_by_name_and_unknown_names_list_the_valid_ones():
  assert losses.LOSSES.get("elbo") is losses.elbo
  assert losses.LOSSES.get("iwae") is losses.iwae
  assert losses.LOSSES.get("jaxgen.families.vae.losses:beta_elbo") is losses.beta_elbo
  with pytest.raises(UnknownNameError, match="unknown VAE loss 'nope'; valid: beta_elbo, elbo, iwae"):
    losses.LOSSES.get("nope")
  with pytest.raises(UnknownNameError, match="valid: bernoulli, discretized_logistic, gaussian"):
    distributions.DECODERS.get("poisson")
  with pytest.raises(UnknownNameError, match="unknown VAE loss 'nope'"):
    VAEExperiment(load_config("vae_binarized_digits", "loss.name=nope"))
  with pytest.raises(UnknownNameError, match="unknown decoder 'poisson'"):
    VAEExperiment(load_config("vae_binarized_digits", "model.decoder=poisson"))


def test_config_combinations_that_would_train_a_wrong_model_are_errors():
  with pytest.raises(ConfigError, match="needs binary data"):
    VAEExperiment(load_config("vae_binarized_digits", "data.name=digits"))
  with pytest.raises(ConfigError, match="needs model.scale"):
    VAEExperiment(load_config("vae_digits", "model.scale=none"))
  with pytest.raises(ConfigError, match="data.dequantize=False"):
    VAEExperiment(load_config("vae_digits", "data.dequantize=True"))
  with pytest.raises(ConfigError, match="free_bits"):
    VAEExperiment(load_config("iwae_binarized_digits", "loss.free_bits=0.5"))


def make_terms(num_samples=3, batch=4, units=5, seed=0):
  keys = jax.random.split(jax.random.PRNGKey(seed), 4)
  return losses.Terms(log_likelihood=jax.random.normal(keys[0], (num_samples, batch)) - 20,
                      log_prior=jax.random.normal(keys[1], (num_samples, batch)) - 5,
                      log_posterior=jax.random.normal(keys[2], (num_samples, batch)) - 2,
                      kl_per_unit=jax.random.uniform(keys[3], (batch, units), maxval=1.0))


def test_elbo_beta_elbo_and_iwae_equal_their_equations():
  terms = make_terms()
  c = load_config("vae_binarized_digits", "loss.beta=3.0").loss
  recon = -np.asarray(terms.log_likelihood).mean(0)
  kl = np.asarray(terms.kl_per_unit).sum(-1)
  loss, aux = losses.elbo(terms, jnp.ones(()), c)
  np.testing.assert_allclose(loss, recon + kl, rtol=1e-6)
  np.testing.assert_allclose(aux["elbo"], -(recon + kl), rtol=1e-6)
  loss, _ = losses.beta_elbo(terms, jnp.asarray(0.5), c)
  np.testing.assert_allclose(loss, recon + 3.0 * 0.5 * kl, rtol=1e-6)
  log_w = np.asarray(terms.log_weights, np.float64)
  loss, aux = losses.iwae(terms, jnp.ones(()), c)
  expected = -(np.log(np.mean(np.exp(log_w - log_w.max(0)), axis=0)) + log_w.max(0))
  np.testing.assert_allclose(loss, expected, rtol=1e-5)


def test_free_bits_clamps_the_batch_mean_kl_of_each_unit():
  kl = jnp.array([[0.1, 2.0, 0.3], [0.2, 1.0, 0.9]])  # unit means 0.15, 1.5, 0.6
  clamped = losses.free_bits_kl(kl, 0.5)
  # Per-example values average to sum_u max(lambda, mean_u): 0.5 + 1.5 + 0.6.
  np.testing.assert_allclose(jnp.mean(clamped), 2.6, rtol=1e-6)
  gradient = jax.grad(lambda k: jnp.sum(losses.free_bits_kl(k, 0.5)))(kl)
  np.testing.assert_array_equal(gradient, [[0, 1, 1], [0, 1, 1]])
  np.testing.assert_allclose(losses.free_bits_kl(kl, 0.0), kl.sum(-1))


def test_kl_warmup_is_linear_then_one():
  weights = [float(losses.kl_warmup(jnp.asarray(step), 100)) for step in (0, 25, 100, 400)]
  assert weights == [0.0, 0.25, 1.0, 1.0]
  assert float(losses.kl_warmup(jnp.asarray(3), 0)) == 1.0


# -- the IWAE bound on a model with an exact likelihood --------------------------------------------

def test_iwae_bound_increases_with_k_towards_the_exact_log_likelihood():
  """A linear Gaussian VAE has log p(x) = log N(x; b, W W^T + sigma^2 I) in closed form; at random
  (untrained) encoder params the posterior is poor, so the bound's gap is wide and visible."""
  experiment = VAEExperiment(load_config("linear_vae_ppca"))
  x = jnp.asarray(next(iter(data_lib.load("ppca", "test", 200, shuffle=False, repeat=False)))["point"])
  state = jax.jit(experiment.init)(jax.random.PRNGKey(0), {"point": x})
  params = state.params
  weights = np.asarray(params["decoder"]["network"]["Dense_0"]["kernel"], np.float64).T  # [d, q]
  bias = np.asarray(params["decoder"]["network"]["Dense_0"]["bias"], np.float64)
  variance = math.exp(2 * float(params["decoder"]["log_scale"]))
  covariance = weights @ weights.T + variance * np.eye(len(bias))
  exact = stats.multivariate_normal(bias, covariance).logpdf(np.asarray(x, np.float64)).mean()

  # 2,000 draws per example, cut into 2000 / k groups of k: each group's log-mean-exp is one
  # L_k, and their average estimates E[L_k] (one compile for every k).
  log_weights = jax.jit(experiment.terms, static_argnums=3)(params, x, jax.random.PRNGKey(1), 2000).log_weights
  bounds = [float(jnp.mean(eval_lib.iwae_bound(log_weights.reshape(2000 // k, k, -1), axis=1)))
            for k in (1, 10, 100, 1000)]
  assert all(a < b for a, b in zip(bounds, bounds[1:])), bounds
  assert bounds[-1] < exact + 0.05 and exact - bounds[-1] < 0.5 * (exact - bounds[0]), (bounds, exact)

  # jaxgen eval's per-example pass: the k=1000 bound in importance chunks, the analytic KL.
  values = jax.jit(experiment.evaluate_step)(state, {"point": x}, jax.random.PRNGKey(2))
  assert values["log_likelihood_iwae"].shape == (200,) and values["posterior_mean"].shape == (200, 4)
  iwae = float(jnp.mean(values["log_likelihood_iwae"]))
  assert float(jnp.mean(values["elbo"])) < bounds[1] < iwae < exact + 0.05, (iwae, bounds, exact)
  mean, log_std = experiment.encode(params, x)
  np.testing.assert_allclose(values["posterior_mean"], mean)
  variance = np.exp(2 * np.asarray(log_std, np.float64))
  kl = 0.5 * np.sum(np.asarray(mean, np.float64) ** 2 + variance - 1 - np.log(variance), axis=1)
  np.testing.assert_allclose(values["kl"], kl, rtol=1e-4, atol=1e-5)


def test_bits_per_dim_follow_the_dequantized_convention():
  """A discrete decoder's -log P(v) over D ln 2; a density on dequantized [0, 1] data pays
  D ln L for the bins (Glow); a density on undequantized levels has no bits/dim."""
  nll = np.array([80.0, 100.0])
  discrete = VAEExperiment(load_config("vae_digits"))
  assert discrete._bits_per_dim(nll) == pytest.approx(90.0 / (64 * math.log(2)))
  gaussian = ("model.decoder=gaussian", "model.scale=shared")
  dequantized = VAEExperiment(load_config("vae_digits", *gaussian, "data.dequantize=True"))
  assert dequantized._bits_per_dim(nll) == pytest.approx((90.0 + 64 * math.log(17)) / (64 * math.log(2)))
  assert VAEExperiment(load_config("vae_digits", *gaussian))._bits_per_dim(nll) is None
  assert VAEExperiment(load_config("vae_binarized_digits"))._bits_per_dim(nll) is None


# -- evaluate on the runner's per-example results ------------------------------------------------

def split_examples(dataset, requested):
  """An ``examples(split, num)`` for ``prepare`` that records what is asked of it."""
  def examples(split, num):
    requested.append((split, num))
    batch = next(iter(data_lib.load(dataset, split, num, shuffle=False, repeat=False)))
    return {name: value[batch["mask"] > 0] for name, value in batch.items() if name != "mask"}
  return examples


def no_sampler(*args, **options):
  raise AssertionError("evaluate drew samples with no sample metric configured")


def test_evaluate_on_points_fits_ppca_and_the_true_density_on_the_prepared_splits():
  """ppca_loglik is the maximum-likelihood PPCA's held-out log-likelihood (Tipping & Bishop 1999,
  eqs. 7-8: W from the top q eigenpairs of the train covariance, sigma^2 the mean of the rest);
  true_loglik the generating model's; the IWAE metrics and active units come from the runner's
  per-example results."""
  experiment = VAEExperiment(load_config("linear_vae_ppca"))
  experiment.eval_split = "test"  # as in `jaxgen eval`
  requested = []
  experiment.prepare(split_examples("ppca", requested))
  assert sorted(requested) == [("test", 5_000), ("train", 10_000)]

  train = next(iter(data_lib.load("ppca", "train", 10_000, shuffle=False, repeat=False)))["point"].astype(np.float64)
  test = next(iter(data_lib.load("ppca", "test", 5_000, shuffle=False, repeat=False)))["point"].astype(np.float64)
  eigenvalues, eigenvectors = np.linalg.eigh(np.cov(train.T))
  eigenvalues, eigenvectors = eigenvalues[::-1], eigenvectors[:, ::-1]
  noise = eigenvalues[4:].mean()
  weights = eigenvectors[:, :4] * np.sqrt(eigenvalues[:4] - noise)
  ppca = stats.multivariate_normal(train.mean(0), weights @ weights.T + noise * np.eye(20))
  model = synthetic.PPCA_MODEL

  rng = np.random.default_rng(0)
  values = {"elbo": rng.normal(-21.0, 1.0, 50), "recon_error": rng.normal(15.0, 1.0, 50),
            "kl": rng.uniform(0.0, 6.0, 50), "log_likelihood_iwae": rng.normal(-20.5, 1.0, 50),
            # Units 0-2 vary across examples (active); unit 3 sits at the prior mean.
            "posterior_mean": np.concatenate([rng.normal(0.0, 1.0, (50, 3)), np.full((50, 1), 0.2)], 1)}
  metrics = experiment.evaluate(None, values, no_sampler, jax.random.PRNGKey(0))
  assert metrics["ppca_loglik"] == pytest.approx(ppca.logpdf(test).mean(), rel=1e-9)
  assert metrics["true_loglik"] == pytest.approx(
      stats.multivariate_normal(model.mean, model.covariance).logpdf(test).mean(), rel=1e-9)
  assert metrics["nll_iwae"] == pytest.approx(-values["log_likelihood_iwae"].mean(), rel=1e-12)
  for name in ("elbo", "recon_error", "kl"):
    assert metrics[name] == pytest.approx(values[name].mean(), rel=1e-12)
  assert metrics["active_units"] == 3 and metrics["num_test_examples"] == 50
  assert "bits_per_dim_iwae" not in metrics and "anomaly_auroc" not in metrics


def test_evaluate_on_images_scores_anomalies_by_minus_elbo_and_keeps_held_out_images():
  experiment = VAEExperiment(load_config("vae_digits_anomaly", "eval.fid_extractor="))
  experiment.eval_split = "test"  # as in `jaxgen eval`
  requested = []
  experiment.prepare(split_examples("digits", requested))
  assert requested == [("test", 256)]
  first = next(iter(data_lib.load("digits", "test", 256, shuffle=False, repeat=False)))["image"]
  np.testing.assert_array_equal(experiment.held_out, first)

  rng = np.random.default_rng(1)
  labels = np.arange(300) % 10
  elbo = rng.normal(-90.0, 5.0, 300) - 8.0 * (labels == 9)  # 9s: lower ELBO, mostly
  nll = rng.normal(85.0, 3.0, 300)
  values = {"elbo": elbo, "recon_error": -elbo, "kl": np.zeros(300), "label": labels.astype(np.float64),
            "log_likelihood_iwae": -nll, "posterior_mean": rng.normal(0.0, 1.0, (300, 16))}
  metrics = experiment.evaluate(None, values, no_sampler, jax.random.PRNGKey(0))
  anomaly = evaluation.anomaly_metrics(experiment.anomaly_score(values), values,
                                       experiment.config.data.exclude_labels)
  assert anomaly["anomaly_auroc"] == pytest.approx(roc_auc_score(labels == 9, -elbo), rel=1e-12)
  assert metrics["bits_per_dim_iwae"] == pytest.approx(nll.mean() / (64 * math.log(2)), rel=1e-9)
  assert metrics["active_units"] == 16 and "ppca_loglik" not in metrics


# -- the ppca dataset -----------------------------------------------------------------------------

def test_ppca_data_follow_their_model_and_pca_recovers_it():
  model = synthetic.PPCA_MODEL
  train = next(iter(data_lib.load("ppca", "train", 10_000, shuffle=False, repeat=False)))["point"]
  test = next(iter(data_lib.load("ppca", "test", 5_000, shuffle=False, repeat=False)))["point"]
  assert train.shape == (10_000, 20) and test.shape == (5_000, 20) and train.dtype == np.float32
  np.testing.assert_allclose(np.cov(train.T), model.covariance, atol=0.25)
  exact = stats.multivariate_normal(model.mean, model.covariance).logpdf(test.astype(np.float64))
  np.testing.assert_allclose(model.log_prob(test.astype(np.float64)), exact, rtol=1e-9)
  pca = PCA(n_components=4).fit(train.astype(np.float64))
  assert abs(pca.noise_variance_ - model.noise_variance) < 0.01
  assert abs(pca.score(test.astype(np.float64)) - exact.mean()) < 0.05


# -- latent interpolation -------------------------------------------------------------------------

def test_lerp_and_slerp_paths():
  z_a, z_b = jnp.array([3.0, 0.0, 0.0]), jnp.array([0.0, 3.0, 0.0])
  line = latents.interpolate(z_a, z_b, 5, "linear")
  np.testing.assert_allclose(line[2], (z_a + z_b) / 2)
  arc = latents.interpolate(z_a, z_b, 5, "spherical")
  np.testing.assert_allclose(np.asarray(arc)[[0, -1]], np.stack([z_a, z_b]), atol=1e-6)
  np.testing.assert_allclose(jnp.linalg.norm(arc, axis=1), 3.0, rtol=1e-6)  # stays on the sphere
  np.testing.assert_allclose(arc[2], 3.0 * jnp.array([1.0, 1.0, 0.0]) / math.sqrt(2), rtol=1e-6)
  parallel = latents.interpolate(z_a, 2 * z_a, 3, "spherical")  # falls back to lerp, finite grads
  np.testing.assert_allclose(parallel[1], 1.5 * z_a, rtol=1e-6)
  grads = jax.grad(lambda z: latents.slerp(z, 2 * z, jnp.linspace(0, 1, 3)).sum())(z_a)
  assert np.all(np.isfinite(grads))
  with pytest.raises(UnknownNameError, match="valid: linear, spherical"):
    latents.interpolate(z_a, z_b, 3, "cubic")


def test_paths_interpolate_each_pair_and_pair_ends_fill_a_small_split():
  codes = np.asarray(jax.random.normal(jax.random.PRNGKey(0), (5, 2, 3)))
  starts, ends = latents.pair_ends(codes, 3, 2)
  np.testing.assert_array_equal(starts, codes[:3])
  np.testing.assert_array_equal(ends, codes[[2, 3, 4]])
  np.testing.assert_array_equal(latents.pair_ends(codes, 3, 3)[1], codes[[3, 4, 4]])  # the last, again
  for method in ("linear", "spherical"):
    rows = latents.paths(starts, ends, 4, method)
    assert rows.shape == (12, 2, 3)
    for i in range(3):
      one = latents.interpolate(starts[i].ravel(), ends[i].ravel(), 4, method).reshape(4, 2, 3)
      np.testing.assert_allclose(rows[4 * i:4 * i + 4], one, rtol=1e-6)


# -- the experiment on the runner -----------------------------------------------------------------

def test_train_step_compiles_exactly_once(tmp_path):
  """KL warm-up (a function of the step) and free bits must not retrigger tracing."""
  config = load_config("vae_digits", "train.num_steps=10", "train.batch_size=32",
                       "eval.batch_size=150", "log_every=5", "eval_every=5", "checkpoint_every=10",
                       "loss.kl_warmup_steps=8", "loss.free_bits=0.1", "model.hidden=(32,)")
  run, _ = train_inspectable(config, str(tmp_path / "run"))
  assert run.train_step_fn._cache_size() == 1
  assert run.eval_step_fn._cache_size() == 1
  with open(tmp_path / "run" / "metrics.jsonl") as f:
    logged = [row["kl_weight"] for row in map(json.loads, f) if row["split"] == "train"]
  # The means over steps 0-4 and 5-9 of min(1, step / 8).
  np.testing.assert_allclose(logged, [np.mean(np.minimum(1, np.arange(5) / 8)),
                                      np.mean(np.minimum(1, np.arange(5, 10) / 8))], rtol=1e-6)
