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
from typing import Callable, Dict, Iterator, Optional

import jax
import jax.numpy as jnp
import ml_collections
import numpy as np

from jaxgen import data as data_lib
from jaxgen import eval as eval_lib
from jaxgen.core import latents
from jaxgen.core.experiment import TrainState, apply_gradients, init_train_state
from jaxgen.core.optim import make_optimizer
from jaxgen.core.runner import value_range
from jaxgen.errors import ConfigError
from jaxgen.eval import samples as eval_samples
from jaxgen.families.flows import losses
from jaxgen.families.flows.dequantization import (DEQUANTIZATIONS, VariationalDequantizer,
                                                  levels_of)
from jaxgen.families.flows.model import build_flow

HELD_OUT = 256  # Test images kept for interpolation grids.
GRID_COLUMNS = 10
GRID_ROWS_PER_TEMPERATURE = 2
GRID_INTERPOLATIONS = 4


class FlowExperiment:
  """Implements the Experiment protocol (jaxgen.core.experiment) for normalizing flows."""

  def __init__(self, config: ml_collections.ConfigDict):
    self.config = config
    self.info = data_lib.dataset_info(config.data.name)
    self.key = self.info.key
    self.images = self.info.kind == "image"
    self.num_dims = math.prod(self.info.shape)
    self.num_levels = self.info.num_levels if self.images else None
    self._check(config)
    self.flow = build_flow(config.model, self.info.shape)
    self.variational = config.loss.dequantization == "variational"
    self.dequantizer = (VariationalDequantizer(config.loss.dequantizer_features, self.num_levels)
                        if self.variational else None)
    self.optimizer = make_optimizer(config.optimizer, config.train.num_steps)
    self.loss = losses.LOSSES.get(config.loss.name)
    low, high = value_range(config)
    # log |det| of [0, 1] -> [low, high]: the density of [0, 1] data is what bits/dim measures.
    self.range_log_det = eval_lib.data_range_log_det(self.num_dims, low, high) if self.images else 0.0
    self._sample = jax.jit(self.sample_at, static_argnums=(2,))
    self._interpolate = jax.jit(self.interpolate, static_argnums=(4,))
    if self.images:
      test = data_lib.load(config.data.name, "test", HELD_OUT, seed=config.seed, shuffle=False,
                           repeat=False, **self._data_options())
      self.held_out = jnp.asarray(next(iter(test))[self.key][:min(HELD_OUT, self.info.num_examples["test"])])

  def _data_options(self) -> dict:
    c = self.config.data
    return dict(scale=c.scale, dequantize=c.dequantize, binarize=c.binarize)

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
    return jnp.clip(x, *value_range(self.config)) if self.images else x

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

  def interpolate(self, params, model_state, x_a: jax.Array, x_b: jax.Array, num_steps: int) -> jax.Array:
    """Decodes ``(1 - t) f(x_a) + t f(x_b)`` for t evenly in [0, 1]. x_a, x_b: [*shape]."""
    z = self.encode(params, model_state, self.continuous(jnp.stack([x_a, x_b])))
    path = latents.interpolate(z[0].ravel(), z[1].ravel(), num_steps, "linear")
    return self.decode(params, model_state, path.reshape(num_steps, *z.shape[1:]))

  def sample_at(self, state: TrainState, rng: jax.Array, num: int, temperature) -> jax.Array:
    """``num`` samples with z ~ p_Z scaled by ``temperature``: [num, *shape]."""
    x = self.flow.apply(self._variables(state.eval_params, state.model_state), rng, num,
                        temperature, method=self.flow.sample)
    return self._in_range(x)

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

  def objective(self, params, model_state, x: jax.Array, rng: jax.Array):
    """Per-example loss ``[B]`` and its terms ``{name: [B]}``."""
    log_density, terms = self.log_density(params, model_state, x, rng)
    return self.loss(log_density, self.num_dims, self.num_levels), terms

  def train_step(self, state: TrainState, batch: dict, rng: jax.Array):
    def mean_loss(params):
      total, terms = self.objective(params, state.model_state, batch[self.key], rng)
      return jnp.mean(total), {name: jnp.mean(value) for name, value in terms.items()}

    (loss, terms), grads = jax.value_and_grad(mean_loss, has_aux=True)(state.params)
    state, norms = apply_gradients(state, grads, self.optimizer, self.config.train.ema_decay)
    return state, {"loss": loss, **terms, **norms}

  def eval_step(self, state: TrainState, batch: dict, rng: jax.Array) -> Dict[str, jax.Array]:
    """Per-example ``loss``, ``nll`` in nats (points: -log p(x); images: the bound on the
    discrete -log P(levels)), ``bits_per_dim`` (images) and the log-density's terms."""
    log_density, terms = self.log_density(state.eval_params, state.model_state, batch[self.key], rng)
    metrics = {"loss": self.loss(log_density, self.num_dims, self.num_levels), **terms}
    if self.images:
      metrics["bits_per_dim"] = eval_lib.dequantized_bits_per_dim(log_density, self.num_dims,
                                                                  self.num_levels)
      metrics["nll"] = -log_density + self.num_dims * math.log(self.num_levels)
    else:
      metrics["nll"] = -log_density
    return metrics

  def sample(self, state: TrainState, rng: jax.Array, num: int) -> jax.Array:
    """``num`` samples at ``sample.temperature`` in data space: [num, *shape]."""
    return self.sample_at(state, rng, num, self.config.sample.temperature)

  def sample_grid(self, state: TrainState, rng: jax.Array) -> tuple[jax.Array, Optional[int]]:
    """Images: 2 rows of samples per temperature of ``eval.temperatures`` (the same base noise
    at each, so columns differ only by T), then 4 rows of interpolations between the codes of
    held-out test images. Points: ``eval.num_samples`` samples at T = 1 (ncol unused)."""
    if not self.images:
      return self._sample(state, rng, self.config.eval.num_samples, 1.0), None
    rows = [self._sample(state, rng, GRID_ROWS_PER_TEMPERATURE * GRID_COLUMNS, t)
            for t in self.config.eval.temperatures]
    for pair in range(GRID_INTERPOLATIONS):
      rows.append(self._interpolate(state.eval_params, state.model_state, self.held_out[pair],
                                    self.held_out[GRID_COLUMNS + pair], GRID_COLUMNS))
    return jnp.concatenate(rows), GRID_COLUMNS

  def draw(self, state: TrainState, rng: jax.Array, num: int, temperature: float) -> np.ndarray:
    """``num`` samples on the host, generated ``eval.batch_size`` at a time (one compile)."""
    return eval_samples.draw(lambda key, n: self._sample(state, key, n, temperature), rng, num,
                             self.config.eval.batch_size)

  def evaluate(self, state: TrainState, eval_batches: Callable[[], Iterator[dict]],
               rng: jax.Array) -> Dict[str, float]:
    """Test means of ``eval_step``'s metrics (``bits_per_dim`` for images, ``nll`` in nats);
    points with a known density: ``true_entropy`` and ``kl_gap`` = nll - true entropy (the KL
    divergence from the data to the model, estimated on the test split), and on mixtures the
    mode coverage of ``eval.num_mode_samples`` samples; images: FID/KID of
    ``eval.num_image_samples`` samples per temperature against the train split."""
    eval_step = jax.jit(self.eval_step)
    eval_key, sample_key = jax.random.split(rng)
    values = eval_samples.per_example(lambda batch, key: eval_step(state, batch, key),
                                      eval_batches(), eval_key)
    metrics = {name: float(np.mean(value)) for name, value in values.items()}
    metrics["num_test_examples"] = len(values["nll"])
    if self.images:
      metrics.update(self.sample_metrics(state, sample_key))
    else:
      metrics.update(self.point_metrics(state, sample_key, metrics["nll"]))
    return metrics

  def point_metrics(self, state: TrainState, rng: jax.Array, nll: float) -> Dict[str, float]:
    """With a known density ``true_entropy`` and ``kl_gap`` = nll - true entropy (the KL
    divergence from the data to the model, estimated on the test split); and
    ``jaxgen.eval.samples.point_sample_metrics`` of ``eval.num_mode_samples`` samples at T = 1."""
    metrics = {}
    if self.info.entropy is not None:
      metrics["true_entropy"] = float(self.info.entropy)
      metrics["kl_gap"] = nll - float(self.info.entropy)
    samples = self.draw(state, rng, self.config.eval.num_mode_samples, 1.0)
    metrics.update(eval_samples.point_sample_metrics(samples, self.config.data.name))
    return metrics

  def sample_metrics(self, state: TrainState, rng: jax.Array) -> Dict[str, float]:
    """``jaxgen.eval.samples.image_sample_metrics`` (``eval.fid_extractor``; "" skips them) of
    samples at T = 1, and ``fid_t<T>`` / ``kid_t<T>`` at the other ``eval.temperatures``; at
    each, ``nonfinite_sample_frac[_t<T>]``, the fraction of samples left out as non-finite."""
    e = self.config.eval
    if not e.fid_extractor:
      return {}
    low, high = value_range(self.config)
    metrics = {}
    for i, temperature in enumerate(e.temperatures):
      samples = self.draw(state, jax.random.fold_in(rng, i), e.num_image_samples, temperature)
      # The inverse of a trained flow can overflow far out in the base's tails: such samples are
      # counted, not scored (the extractors refuse non-finite images).
      finite = np.isfinite(samples).reshape(len(samples), -1).all(axis=1)
      images = np.clip((samples[finite] - low) / (high - low), 0.0, 1.0)
      scores = eval_samples.image_sample_metrics(images, self.config.data.name, e.fid_extractor)
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
