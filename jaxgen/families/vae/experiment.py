"""The VAE family on the shared runner: VAE, beta-VAE and IWAE with Gaussian encoders.

Model (Kingma & Welling 2014): prior p(z) = N(0, I), encoder q(z|x) = N(mu(x), diag sigma^2(x)),
decoder p(x|z) by name (``distributions.DECODERS``: bernoulli, gaussian, discretized_logistic).
The objective per example is the configured loss (``losses.LOSSES``: elbo, beta_elbo, iwae) of
S = ``loss.num_samples`` reparameterized posterior samples, with optional KL warm-up and free bits.

Uses beyond training, each a function of params: ``sample`` (z ~ N(0, T^2 I) with T =
``sample.temperature``), ``reconstruct``, ``interpolate`` (linear or spherical, through
``jaxgen.core.latents``), ``denoise``; ``sample_grid`` shows them all at every eval.
``jaxgen eval`` computes the IWAE bound in its one pass (``evaluate_step``).
"""

import math
from typing import Dict

import jax
import jax.numpy as jnp
import ml_collections
import numpy as np

from jaxgen import eval as eval_lib
from jaxgen.core import evaluation, latents
from jaxgen.core.experiment import Examples, Experiment, Sampler, TrainState, init_train_state
from jaxgen.core.optim import make_optimizer
from jaxgen.errors import ConfigError
from jaxgen.families.vae import distributions, losses
from jaxgen.families.vae.model import build_vae
from jaxgen.nn import gaussian
from jaxgen.nn.corruption import NOISE_KINDS, corrupt

HELD_OUT = 256  # Test images kept for reconstructions, interpolations and denoising grids.
GRID_COLUMNS = 10
ACTIVE_UNIT_THRESHOLD = 0.01  # Burda et al. 2016: Var_x E_q[z_u | x] above this is active.


class VAEExperiment(Experiment):
  """Implements the Experiment protocol (jaxgen.core.experiment) for VAEs."""
  anomaly_score_is_nll = True  # anomaly_score: nats, so images get the complexity-corrected AUROC
  grid_columns = GRID_COLUMNS

  def __init__(self, config: ml_collections.ConfigDict):
    super().__init__(config)
    self.num_levels = 2 if config.data.binarize else self.info.num_levels
    self.num_dims = math.prod(self.info.shape)
    self.model = build_vae(config.model, self.info.shape)
    images = self.info.kind == "image"
    self.value_range = self.info.value_range(config.data.scale) if images else None
    self.decoder = distributions.DECODERS.get(config.model.decoder)(self.num_levels, self.value_range)
    self.optimizer = make_optimizer(config.optimizer, config.train.num_steps)
    self.objective_fn = losses.LOSSES.get(config.loss.name)
    self._check(config)

  def prepare(self, examples: Examples) -> None:
    """Images: ``HELD_OUT`` images of ``eval_split`` for the grids. Points: the whole splits
    that ``ppca_loglik`` (train and eval) and ``true_loglik`` (eval) are computed on, float64."""
    if self.info.kind == "image":
      self.held_out = jnp.asarray(examples(self.eval_split, HELD_OUT)[self.key])
      return
    ppca = self.config.eval.ppca_loglik
    wanted = {"train": ppca, self.eval_split: ppca or self.info.log_prob is not None}
    self.points = {split: examples(split, self.info.num_examples[split])[self.key].astype(np.float64)
                   for split, needed in wanted.items() if needed}

  def _check(self, config: ml_collections.ConfigDict) -> None:
    """Config combinations that would train a wrong model silently."""
    name, c = config.model.decoder, config.loss
    if self.decoder.has_scale != (config.model.scale != "none"):
      wanted = "in network, fixed, shared, per_pixel" if self.decoder.has_scale else "'none'"
      raise ConfigError(f"model.decoder={name!r} needs model.scale {wanted}")
    if self.decoder.discrete and self.info.kind != "image":
      raise ConfigError(f"model.decoder={name!r} models discrete images; {self.info.name!r} is points")
    binary = self.num_levels == 2 and config.data.scale == "0_1"
    if isinstance(self.decoder, distributions.Bernoulli) and not binary:
      raise ConfigError(f"model.decoder='bernoulli' needs binary data in {{0, 1}}; {self.info.name!r} "
                        f"has {self.num_levels} levels (set data.binarize or use discretized_logistic)")
    if self.decoder.discrete and config.data.dequantize:
      raise ConfigError(f"model.decoder={name!r} is a distribution over the levels; "
                        "set data.dequantize=False")
    if c.num_samples < 1:
      raise ConfigError(f"loss.num_samples must be >= 1, got {c.num_samples}")
    if c.name == "iwae" and c.free_bits > 0:
      raise ConfigError("loss.free_bits applies to the ELBO's KL term; the iwae bound has none")
    if c.free_bits < 0 or c.kl_warmup_steps < 0:
      raise ConfigError("loss.free_bits and loss.kl_warmup_steps must be >= 0")
    e = config.eval
    if e.num_importance_samples % e.importance_chunk:
      raise ConfigError(f"eval.num_importance_samples {e.num_importance_samples} must be a multiple "
                        f"of eval.importance_chunk {e.importance_chunk}")
    if e.fid_extractor and self.info.kind != "image":
      raise ConfigError(f"eval.fid_extractor needs image data; {self.info.name!r} is points "
                        "(set it to '')")
    if e.ppca_loglik and self.info.kind != "points":
      raise ConfigError(f"eval.ppca_loglik needs a points dataset; {self.info.name!r} is images")
    if config.sample.temperature <= 0:
      raise ConfigError(f"sample.temperature must be > 0, got {config.sample.temperature}")
    if config.sample.noise not in NOISE_KINDS:
      raise ConfigError(f"sample.noise {config.sample.noise!r} is unknown; valid: "
                        f"{', '.join(repr(k) for k in NOISE_KINDS)}")

  # -- the model as functions of params --------------------------------------------------------

  def encode(self, params, x: jax.Array) -> tuple[jax.Array, jax.Array]:
    """x: [B, *shape] -> posterior (mean, log_std): [B, K] each."""
    return self.model.apply({"params": params}, x, method=self.model.encode)

  def decode_mean(self, params, z: jax.Array) -> jax.Array:
    """z: [B, K] -> the mean of p(x|z) in data space: [B, *shape]."""
    loc, log_scale = self.model.apply({"params": params}, z, method=self.model.decode)
    return self.decoder.mean(loc, log_scale)

  def decode_sample(self, params, z: jax.Array, rng: jax.Array) -> jax.Array:
    """z: [B, K] -> x ~ p(x|z) in data space: [B, *shape]."""
    loc, log_scale = self.model.apply({"params": params}, z, method=self.model.decode)
    return self.decoder.sample(loc, log_scale, rng)

  def reconstruct(self, params, x: jax.Array) -> jax.Array:
    """The decoder mean at the posterior mean: ``E[x | z = mu(x)]``. x: [B, *shape]."""
    return self.decode_mean(params, self.encode(params, x)[0])

  def denoise(self, params, corrupted: jax.Array) -> jax.Array:
    """Denoises by projecting onto what the model generates: the reconstruction of the corrupted
    input, ``E[x | z = mu(x~)]`` (a corruption moves x off the data manifold; the encoder maps it
    to the code of a nearby likely image). corrupted: [B, *shape]."""
    return self.reconstruct(params, corrupted)

  def interpolate(self, params, x_a: jax.Array, x_b: jax.Array, num_steps: int,
                  method: str = "linear") -> jax.Array:
    """Decoder means along paths between the posterior means of x_a[i] and x_b[i] (``linear``
    or ``spherical``, jaxgen.core.latents). x_a, x_b: [P, *shape] -> [P * num_steps, *shape]."""
    posterior_mean = lambda x: self.encode(params, x)[0]
    return self.decode_mean(params, latents.encoded_paths(posterior_mean, x_a, x_b, num_steps, method))

  def terms(self, params, x: jax.Array, rng: jax.Array, num_samples: int) -> losses.Terms:
    """The Monte Carlo terms of ``num_samples`` reparameterized z_s ~ q(z|x). x: [B, *shape]."""
    noise = jax.random.normal(rng, (num_samples, x.shape[0], self.config.model.latent_dim))
    (mean, log_std), z, (loc, log_scale) = self.model.apply({"params": params}, x, noise)
    log_likelihood = self.decoder.log_prob(loc, log_scale, x[None])
    return losses.Terms(
        log_likelihood=log_likelihood.reshape(num_samples, x.shape[0], -1).sum(-1),
        log_prior=gaussian.standard_normal_log_prob(z),
        log_posterior=gaussian.diagonal_gaussian_log_prob(z, mean, log_std),
        kl_per_unit=gaussian.gaussian_kl(mean, log_std))

  def objective(self, params, x: jax.Array, rng: jax.Array, kl_weight: jax.Array):
    """Per-example loss ``[B]`` and its terms ``{name: [B]}``."""
    return self.objective_fn(self.terms(params, x, rng, self.config.loss.num_samples), kl_weight,
                             self.config.loss)

  # -- the Experiment protocol -----------------------------------------------------------------

  def init(self, rng: jax.Array, example_batch: dict) -> TrainState:
    init_key, noise_key = jax.random.split(rng)
    x = example_batch[self.key]
    noise = jax.random.normal(noise_key, (1, x.shape[0], self.config.model.latent_dim))
    params = self.model.init(init_key, x, noise)["params"]
    return init_train_state(params, self.optimizer, self.config.train.ema_decay)

  def loss(self, params, model_state, batch: dict, rng: jax.Array, step: jax.Array):
    """The objective at the KL warm-up weight of ``step``, which is logged as ``kl_weight``."""
    kl_weight = losses.kl_warmup(step, self.config.loss.kl_warmup_steps)
    total, terms = self.objective(params, batch[self.key], rng, kl_weight)
    return total, {**terms, "kl_weight": kl_weight}

  def eval_step(self, state: TrainState, batch: dict, rng: jax.Array) -> Dict[str, jax.Array]:
    """Per-example ``loss`` (KL at full weight), ``elbo``, ``recon_error`` and ``kl`` in nats."""
    loss, terms = self.objective(state.eval_params, batch[self.key], rng, jnp.ones(()))
    return {"loss": loss, **terms}

  def sample(self, state: TrainState, rng: jax.Array, num: int) -> jax.Array:
    """``num`` draws in data space: z ~ N(0, T^2 I), T = ``sample.temperature``, then the mean of
    p(x|z) (``sample.decoder_mean``) or a draw x ~ p(x|z). -> [num, *shape]."""
    prior_key, decoder_key = jax.random.split(rng)
    z = self.config.sample.temperature * jax.random.normal(
        prior_key, (num, self.config.model.latent_dim))
    if self.config.sample.decoder_mean:
      return self.decode_mean(state.eval_params, z)
    return self.decode_sample(state.eval_params, z, decoder_key)

  def sample_grid(self, state: TrainState, rng: jax.Array) -> jax.Array:
    """Images: rows of samples (2), originals, reconstructions, linear (2) and spherical (2)
    interpolations, corrupted and denoised. Points: ``eval.num_samples`` samples."""
    if self.info.kind != "image":
      return super().sample_grid(state, rng)
    params = state.eval_params
    sample_key, corrupt_key = jax.random.split(rng)
    originals = self.held_out[:GRID_COLUMNS]
    rows = [self.sample(state, sample_key, 2 * GRID_COLUMNS), originals,
            self.reconstruct(params, originals)]
    for method in ("linear", "spherical"):
      rows.append(self.interpolate(params, *latents.pair_ends(self.held_out, 2, GRID_COLUMNS),
                                   GRID_COLUMNS, method))
    c = self.config.sample
    if c.noise:
      corrupted = jnp.clip(corrupt(originals, corrupt_key, c.noise, c.noise_level),
                           *self.value_range)
      rows += [corrupted, self.denoise(params, corrupted)]
    return jnp.concatenate(rows)

  def grid_rows(self):
    if self.info.kind != "image":
      return super().grid_rows()
    denoising = (("corrupted", 1), ("denoised", 1)) if self.config.sample.noise else ()
    return (("samples", 2), ("originals", 1), ("reconstructions", 1),
            ("linear interpolations", 2), ("spherical interpolations", 2), *denoising)

  def evaluate_step(self, state: TrainState, batch: dict, rng: jax.Array) -> Dict[str, jax.Array]:
    """``jaxgen eval``'s per-example values with S = ``eval.num_importance_samples`` posterior
    samples, drawn ``eval.importance_chunk`` at a time (memory [chunk, B, *shape]) in one
    ``lax.map``: ``elbo``, ``recon_error``, ``kl``, ``log_likelihood_iwae`` [B] and the
    ``posterior_mean`` [B, K] (active units)."""
    e = self.config.eval
    params, x = state.eval_params, batch[self.key]
    keys = jax.random.split(rng, e.num_importance_samples // e.importance_chunk)
    chunks = jax.lax.map(lambda key: self.terms(params, x, key, e.importance_chunk), keys)
    merge = lambda a: a.reshape(-1, *a.shape[2:])  # [chunks, chunk, B] -> [S, B]
    log_likelihood, log_weights = merge(chunks.log_likelihood), merge(chunks.log_weights)
    kl = jnp.sum(chunks.kl_per_unit[0], axis=-1)
    recon_error = -jnp.mean(log_likelihood, axis=0)
    return {"elbo": -(recon_error + kl), "recon_error": recon_error, "kl": kl,
            "log_likelihood_iwae": eval_lib.iwae_bound(log_weights, axis=0),
            "posterior_mean": self.encode(params, x)[0]}

  def evaluate(self, state: TrainState, values: Dict[str, np.ndarray], sampler: Sampler,
               rng: jax.Array) -> Dict[str, float]:
    """Test ``elbo``, ``nll_iwae``, ``bits_per_dim_iwae`` (multi-level images), ``recon_error``,
    ``kl``, ``active_units`` (from ``evaluate_step``'s ``values``), and when configured
    sample ``fid``/``kid`` and ``ppca_loglik`` (plus ``true_loglik`` on data with a known
    density).

    All in nats per example; ``elbo`` is a log-likelihood bound (higher is better), ``nll_iwae``
    the negative IWAE bound (lower is better).
    """
    nll = -values["log_likelihood_iwae"]
    metrics = {name: float(np.mean(values[name])) for name in ("elbo", "recon_error", "kl")}
    metrics["nll_iwae"] = float(np.mean(nll))
    bits_per_dim = self._bits_per_dim(nll)
    if bits_per_dim is not None:
      metrics["bits_per_dim_iwae"] = bits_per_dim
    posterior_variance = np.var(values["posterior_mean"], axis=0)
    metrics["active_units"] = int(np.sum(posterior_variance > ACTIVE_UNIT_THRESHOLD))
    if self.config.eval.fid_extractor:
      metrics.update(self._sample_fid(sampler, rng))
    if self.config.eval.ppca_loglik:
      metrics["ppca_loglik"] = self._ppca_loglik()
    if self.info.log_prob is not None:  # Synthetic data with a known density: the ceiling.
      metrics["true_loglik"] = float(np.mean(self.info.log_prob(self.points[self.eval_split])))
    metrics["num_test_examples"] = int(nll.shape[0])
    return metrics

  def anomaly_score(self, results: Dict[str, np.ndarray]) -> np.ndarray:
    """-ELBO (nats)."""
    return -results["elbo"]

  def _bits_per_dim(self, nll: np.ndarray):
    """Mean test bits/dim of the IWAE bound for images of more than 2 levels, in the Glow
    convention (uniform dequantization over the data's levels, jaxgen.eval). A discrete decoder's
    log P(v) is the log-density ``log P(v) + D ln L`` of its piecewise-constant density on [0, 1];
    a continuous decoder counts only on dequantized data. None where bits/dim does not apply."""
    if self.info.kind != "image" or self.num_levels <= 2:
      return None
    if self.decoder.discrete:
      log_density = -nll + self.num_dims * math.log(self.num_levels)
      log_det = 0.0
    elif self.config.data.dequantize:
      log_density = -nll
      low, high = self.value_range
      log_det = eval_lib.data_range_log_det(self.num_dims, low, high)
    else:
      return None
    return float(np.mean(eval_lib.dequantized_bits_per_dim(log_density, self.num_dims, self.num_levels,
                                                           log_det)))

  def _sample_fid(self, sampler: Sampler, rng: jax.Array) -> Dict[str, float]:
    """``jaxgen.core.evaluation.image_sample_metrics`` (FID, KID, precision / recall, class
    coverage) of ``eval.num_image_samples`` samples (``sample``, at the configured temperature)
    against the ``eval.fid_reference`` train split, in the features of ``eval.fid_extractor``.
    Samples are mapped to [0, 1] as the extractors expect."""
    e = self.config.eval
    return evaluation.drawn_image_metrics(sampler(rng, e.num_image_samples), e.fid_reference, e,
                                          self.value_range)

  def _ppca_loglik(self) -> float:
    """Held-out log-likelihood of the maximum-likelihood probabilistic PCA with q =
    ``model.latent_dim`` (Tipping & Bishop 1999): ``sklearn PCA(q).fit(train).score(eval split)``."""
    from sklearn.decomposition import PCA  # Imported here: sklearn is slow to import.
    pca = PCA(n_components=self.config.model.latent_dim).fit(self.points["train"])
    return float(pca.score(self.points[self.eval_split]))


def make_experiment(config: ml_collections.ConfigDict) -> VAEExperiment:
  return VAEExperiment(config)
