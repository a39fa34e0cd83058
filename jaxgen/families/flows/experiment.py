"""The flows family on the shared runner: NICE, RealNVP and Glow trained by maximum likelihood.

Per example, with f the flow (``model.py``) and p_Z its base distribution,

  log p(x) = log p_Z(f(x)) + log |det df/dx|            (change of variables)

on the data in [0, 1] coordinates: images are dequantized (``dequantization.py``) and a model of
[-1, 1] data adds ``D ln 2`` (``jaxgen.eval.data_range_log_det``). The loss by name
(``losses.LOSSES``) turns that log-density into nats or bits/dim.

Actnorm's data-dependent initialisation happens in ``init``, on the batch the runner passes
(see ``elementwise.ActNorm``); afterwards its parameters are ordinary trained, checkpointed
parameters, so resuming never re-initialises them. The LU permutations of Glow's 1x1
convolutions are constants, kept in ``model_state``.

Uses beyond training, each a function of params: ``encode`` x -> z, ``decode`` z -> x,
``sample`` at temperature T, ``interpolate`` between the codes of two images; ``sample_grid``
shows samples at ``eval.temperatures`` and interpolations at every eval.
"""

import math
from typing import Dict, Optional

import jax
import jax.numpy as jnp
import ml_collections
import numpy as np

from jaxgen import eval as eval_lib
from jaxgen.core import evaluation, latents
from jaxgen.core.experiment import Examples, Experiment, Sampler, TrainState, init_train_state
from jaxgen.core.optim import make_optimizer
from jaxgen.errors import ConfigError
from jaxgen.families.flows import losses
from jaxgen.families.flows.dequantization import (DEQUANTIZATIONS, VariationalDequantizer,
                                                  levels_of)
from jaxgen.families.flows.flow import base_sample
from jaxgen.families.flows.model import build_flow

HELD_OUT = 256  # Test images kept for interpolation grids.
GRID_COLUMNS = 10
GRID_ROWS_PER_TEMPERATURE = 2
GRID_INTERPOLATIONS = 4


class FlowExperiment(Experiment):
  """Implements the Experiment protocol (jaxgen.core.experiment) for normalizing flows."""
  anomaly_score_is_nll = True  # anomaly_score: nats, so images get the complexity-corrected AUROC
  grid_columns = GRID_COLUMNS

  def __init__(self, config: ml_collections.ConfigDict):
    super().__init__(config)
    self.images = self.info.kind == "image"
    self.num_dims = math.prod(self.info.shape)
    self.num_levels = self.info.num_levels if self.images else None
    self._check(config)
    self.flow = build_flow(config.model, self.info.shape)
    self.variational = config.loss.dequantization == "variational"
    self.dequantizer = (VariationalDequantizer(config.loss.dequantizer_features, self.num_levels)
                        if self.variational else None)
    self.optimizer = make_optimizer(config.optimizer, config.train.num_steps)
    self.loss_of_density = losses.LOSSES.get(config.loss.name)
    self.value_range = self.info.value_range(config.data.scale)
    # log |det| of [0, 1] -> [low, high]: the density of [0, 1] data is what bits/dim measures.
    self.range_log_det = (eval_lib.data_range_log_det(self.num_dims, *self.value_range)
                          if self.images else 0.0)

  def _check(self, config: ml_collections.ConfigDict) -> None:
    """Config combinations that would train a wrong model silently."""
    c = config.loss
    if c.dequantization not in DEQUANTIZATIONS:
      raise ConfigError(f"loss.dequantization {c.dequantization!r} is unknown; valid: "
                        f"{', '.join(DEQUANTIZATIONS)}")
    if self.images:
      if config.data.binarize:
        raise ConfigError("flows model dequantized grey levels; set data.binarize=None")
      if c.dequantization == "uniform" and not config.data.dequantize:
        raise ConfigError("a flow on discrete levels needs dequantization: set data.dequantize=True "
                          "(uniform) or loss.dequantization='variational'")
      if c.dequantization == "variational" and (config.data.dequantize or config.data.scale != "0_1"):
        raise ConfigError("loss.dequantization='variational' dequantizes the levels itself: set "
                          "data.dequantize=False and data.scale='0_1'")
    elif c.dequantization != "uniform" or c.name == "bits_per_dim":
      raise ConfigError(f"{self.info.name!r} is continuous: use loss.name='nll' and "
                        "loss.dequantization='uniform' (which leaves points as they are)")
    if any(t <= 0 for t in config.eval.temperatures) or config.sample.temperature <= 0:
      raise ConfigError(f"temperatures must be > 0; got sample.temperature="
                        f"{config.sample.temperature}, eval.temperatures={config.eval.temperatures}")

  def prepare(self, examples: Examples) -> None:
    """Images: keeps ``HELD_OUT`` test images for the grid's interpolations."""
    if self.images:
      self.held_out = jnp.asarray(examples(self.eval_split, HELD_OUT)[self.key])

  # -- the model as functions of params --------------------------------------------------------

  def _variables(self, params, model_state) -> dict:
    return {"params": params["flow"], **model_state}

  def dequantize(self, params, x: jax.Array, rng: jax.Array) -> tuple[jax.Array, jax.Array]:
    """x as the pipeline delivers it -> (continuous x, log q(u | x): [B]); uniform noise was
    already added by the pipeline (log q = 0) and points stay as they are."""
    if not self.variational:
      return x, jnp.zeros(x.shape[:1], x.dtype)
    levels = levels_of(x, self.num_levels)
    noise = jax.random.normal(rng, x.shape, x.dtype)
    u, log_q = self.dequantizer.apply({"params": params["dequantizer"]}, levels, noise)
    return (levels + u) / self.num_levels, log_q

  def continuous(self, x: jax.Array) -> jax.Array:
    """A continuous stand-in for pipeline data without noise: bin centres under variational
    dequantization (for encoding held-out images), else x itself."""
    return (levels_of(x, self.num_levels) + 0.5) / self.num_levels if self.variational else x

  def encode(self, params, model_state, x: jax.Array) -> jax.Array:
    """x: [B, *shape] (continuous) -> z: [B, *shape]."""
    return self.flow.apply(self._variables(params, model_state), x, method=self.flow.encode)[0]

  def decode(self, params, model_state, z: jax.Array) -> jax.Array:
    """z: [B, *shape] -> x: [B, *shape] in data space."""
    return self._in_range(self.flow.apply(self._variables(params, model_state), z,
                                          method=self.flow.decode))

  def _in_range(self, x: jax.Array) -> jax.Array:
    """Images clipped to the data's range: the flow's density reaches a little beyond it."""
    return jnp.clip(x, *self.value_range) if self.images else x

  def log_density(self, params, model_state, x: jax.Array, rng: jax.Array):
    """-> (log-density in nats of the [0, 1] data [B] (minus log q under variational
    dequantization), its terms {name: [B]})."""
    x, log_q = self.dequantize(params, x, rng)
    log_prob_base, log_det = self.flow.apply(self._variables(params, model_state), x,
                                             method=self.flow.log_prob_terms)
    terms = {"log_prob_base": log_prob_base, "log_det": log_det}
    if self.variational:
      terms["dequantization_entropy"] = -log_q
    return log_prob_base + log_det + self.range_log_det - log_q, terms

  def interpolation_codes(self, params, model_state, x_a: jax.Array, x_b: jax.Array,
                          num_steps: int) -> jax.Array:
    """The codes ``(1 - t) f(x_a[i]) + t f(x_b[i])`` for t evenly in [0, 1], to decode.
    x_a, x_b: [P, *shape] -> [P * num_steps, *shape], pair by pair."""
    return latents.encoded_paths(lambda x: self.encode(params, model_state, self.continuous(x)),
                                 x_a, x_b, num_steps)

  # -- the Experiment protocol -----------------------------------------------------------------

  def init(self, rng: jax.Array, example_batch: dict) -> TrainState:
    flow_key, dequantizer_key, noise_key = jax.random.split(rng, 3)
    x = example_batch[self.key]
    params = {}
    if self.variational:
      levels = levels_of(x, self.num_levels)
      noise = jax.random.normal(noise_key, x.shape, x.dtype)
      params["dequantizer"] = self.dequantizer.init(dequantizer_key, levels, noise)["params"]
      x, _ = self.dequantize(params, x, noise_key)
    variables = dict(self.flow.init(flow_key, x, method=self.flow.log_prob))
    params["flow"] = variables.pop("params")
    return init_train_state(params, self.optimizer, self.config.train.ema_decay, variables)

  def loss(self, params, model_state, batch: dict, rng: jax.Array, step: jax.Array):
    """Per-example loss ``[B]`` and the log-density's terms ``{name: [B]}``."""
    log_density, terms = self.log_density(params, model_state, batch[self.key], rng)
    return self.loss_of_density(log_density, self.num_dims, self.num_levels), terms

  def eval_step(self, state: TrainState, batch: dict, rng: jax.Array) -> Dict[str, jax.Array]:
    """Per-example ``loss``, ``nll`` in nats (points: -log p(x); images: the bound on the
    discrete -log P(levels)), ``bits_per_dim`` (images) and the log-density's terms."""
    log_density, terms = self.log_density(state.eval_params, state.model_state, batch[self.key], rng)
    metrics = {"loss": self.loss_of_density(log_density, self.num_dims, self.num_levels), **terms}
    if self.images:
      metrics["bits_per_dim"] = eval_lib.dequantized_bits_per_dim(log_density, self.num_dims,
                                                                  self.num_levels)
      metrics["nll"] = -log_density + self.num_dims * math.log(self.num_levels)
    else:
      metrics["nll"] = -log_density
    return metrics

  def sample(self, state: TrainState, rng: jax.Array, num: int, *,
             temperature: Optional[float] = None) -> jax.Array:
    """``num`` samples with z ~ p_Z scaled by ``temperature`` (None: ``sample.temperature``) in
    data space: [num, *shape]."""
    if temperature is None:
      temperature = self.config.sample.temperature
    x = self.flow.apply(self._variables(state.eval_params, state.model_state), rng, num,
                        temperature, method=self.flow.sample)
    return self._in_range(x)

  def sample_grid(self, state: TrainState, rng: jax.Array) -> jax.Array:
    """Images: 2 rows of samples per temperature of ``eval.temperatures`` (the same base noise
    at each, so columns differ only by T), then 4 rows of interpolations between the codes of
    held-out test images. Points: ``eval.num_samples`` samples at T = 1."""
    if not self.images:
      return self.sample(state, rng, self.config.eval.num_samples, temperature=1.0)
    # One decode for every row: the flow is traced once, not once per row (compile time).
    noise = base_sample(rng, (GRID_ROWS_PER_TEMPERATURE * GRID_COLUMNS, *self.info.shape),
                        self.flow.base)
    rows = [t * noise for t in self.config.eval.temperatures]
    rows.append(self.interpolation_codes(
        state.eval_params, state.model_state,
        *latents.pair_ends(self.held_out, GRID_INTERPOLATIONS, GRID_COLUMNS), GRID_COLUMNS))
    return self.decode(state.eval_params, state.model_state, jnp.concatenate(rows))

  def grid_rows(self):
    if not self.images:
      return super().grid_rows()
    return (*((f"samples, T = {t:g}", GRID_ROWS_PER_TEMPERATURE)
              for t in self.config.eval.temperatures),
            ("interpolations", GRID_INTERPOLATIONS))

  def anomaly_score(self, results: Dict[str, np.ndarray]) -> np.ndarray:
    """The negative log-likelihood (nats)."""
    return results["nll"]

  def evaluate(self, state: TrainState, results: Dict[str, np.ndarray], sampler: Sampler,
               rng: jax.Array) -> Dict[str, float]:
    """Test means of ``eval_step``'s metrics (``bits_per_dim`` for images, ``nll`` in nats);
    points: ``point_metrics``; images: ``sample_metrics``."""
    metrics = {name: float(np.mean(value)) for name, value in results.items() if name != "label"}
    metrics["num_test_examples"] = len(results["nll"])
    if self.images:
      metrics.update(self.sample_metrics(sampler, rng))
    else:
      metrics.update(self.point_metrics(sampler, rng, metrics["nll"]))
    return metrics

  def point_metrics(self, sampler: Sampler, rng: jax.Array, nll: float) -> Dict[str, float]:
    """With a known density ``true_entropy`` and ``kl_gap`` = nll - true entropy (the KL
    divergence from the data to the model, estimated on the test split); and the
    ``evaluation.point_sample_metrics`` of ``eval.num_mode_samples`` samples at T = 1."""
    metrics = {}
    if self.info.entropy is not None:
      metrics["true_entropy"] = float(self.info.entropy)
      metrics["kl_gap"] = nll - float(self.info.entropy)
    samples = sampler(rng, self.config.eval.num_mode_samples, temperature=1.0)
    metrics.update(evaluation.point_sample_metrics(samples, self.config.data.name,
                                                      self.eval_split))
    return metrics

  def sample_metrics(self, sampler: Sampler, rng: jax.Array) -> Dict[str, float]:
    """``evaluation.image_sample_metrics`` (``eval.fid_extractor``; "" skips them) of
    ``eval.num_image_samples`` samples at T = 1, and ``fid_t<T>`` / ``kid_t<T>`` at the other
    ``eval.temperatures``; at each, ``nonfinite_sample_frac[_t<T>]``, the fraction of samples
    left out as non-finite."""
    e = self.config.eval
    if not e.fid_extractor:
      return {}
    low, high = self.value_range
    metrics = {}
    for i, temperature in enumerate(e.temperatures):
      samples = sampler(jax.random.fold_in(rng, i), e.num_image_samples, temperature=temperature)
      # The inverse of a trained flow can overflow far out in the base's tails: such samples are
      # counted, not scored (the extractors refuse non-finite images).
      finite = np.isfinite(samples).reshape(len(samples), -1).all(axis=1)
      images = np.clip((samples[finite] - low) / (high - low), 0.0, 1.0)
      scores = evaluation.image_sample_metrics(images, self.config.data.name, e)
      suffix = "" if temperature == 1.0 else f"_t{temperature}"
      metrics[f"nonfinite_sample_frac{suffix}"] = float(1.0 - finite.mean())
      if temperature == 1.0:
        metrics.update(scores)
      else:
        metrics[f"fid{suffix}"] = scores["fid"]
        metrics[f"kid{suffix}"] = scores["kid"]
    return metrics


def make_experiment(config: ml_collections.ConfigDict) -> FlowExperiment:
  return FlowExperiment(config)
