"""The energy-based family on the shared runner: ``p(x) = exp(-E(x)) / Z``, trained by contrastive
divergence with short-run Langevin chains and a replay buffer (Du & Mordatch 2019).

Training step: chains start from the replay buffer (a fraction ``langevin.reinit`` from uniform
noise over the data's box), run ``langevin.num_steps`` of SGLD on the current energy, and their
ends x- are the negatives; the loss is ``E(x+) - E(x-) + alpha (E(x+)^2 + E(x-)^2)`` (the
regulariser keeps the energies near 0) and the chain ends go back to the buffer, which lives in
``TrainState.model_state`` so it is checkpointed and a resumed run continues the same chains.

Evaluation on 2-D points: the normaliser Z by integration on a fine grid over the box
(``jaxgen.eval.grid``), so the test NLL ``E(x) + log Z`` is exact up to the grid, and against a
known entropy the ``kl_gap``; samples are long SGLD chains from uniform noise, scored by
``evaluation.point_sample_metrics`` (modes captured, high-quality fraction, MMD).
"""

from typing import Dict

import jax
import jax.numpy as jnp
import ml_collections
import numpy as np

from jaxgen.core import evaluation
from jaxgen.core.experiment import (Examples, Experiment, Sampler, TrainState, apply_gradients,
                                    init_train_state)
from jaxgen.core.optim import make_optimizer
from jaxgen.errors import ConfigError
from jaxgen.eval import grid
from jaxgen.families.ebm import langevin
from jaxgen.families.ebm.model import EnergyMLP


class EBMExperiment(Experiment):
  """Implements the Experiment protocol (jaxgen.core.experiment) for energy-based models."""

  def __init__(self, config: ml_collections.ConfigDict):
    super().__init__(config)
    if self.info.kind != "points":
      raise ConfigError(f"the EBM family models 2-D points so far; {self.info.name!r} is "
                        f"{self.info.kind}")
    c = config.langevin
    if c.num_steps < 1 or c.step_size <= 0 or c.noise_std < 0 or not 0 <= c.reinit <= 1:
      raise ConfigError(f"expected langevin.num_steps >= 1, step_size > 0, noise_std >= 0 and "
                        f"0 <= reinit <= 1, got {c.num_steps}, {c.step_size}, {c.noise_std}, "
                        f"{c.reinit}")
    self.model = EnergyMLP(tuple(config.model.hidden))
    self.optimizer = make_optimizer(config.optimizer, config.train.num_steps)

  def prepare(self, examples: Examples) -> None:
    """The box the chains start in and the normaliser is integrated over: the training points'
    range, widened by ``model.box_margin`` on every side."""
    points = examples("train", 100_000)[self.key]
    margin = self.config.model.box_margin
    self.low = float(points.min() - margin)
    self.high = float(points.max() + margin)

  def box(self, dims: int) -> tuple[jax.Array, jax.Array]:
    return jnp.full((dims,), self.low), jnp.full((dims,), self.high)

  def energy(self, params, x: jax.Array) -> jax.Array:
    return self.model.apply({"params": params}, x)

  def chains(self, params, start: jax.Array, rng: jax.Array, num_steps: int) -> jax.Array:
    c = self.config.langevin
    return langevin.langevin(lambda x: self.energy(params, x), start, rng, num_steps, c.step_size,
                             c.noise_std)

  # -- the Experiment protocol -----------------------------------------------------------------

  def init(self, rng: jax.Array, example_batch: dict) -> TrainState:
    init_key, buffer_key = jax.random.split(rng)
    x = example_batch[self.key]
    params = self.model.init(init_key, x)["params"]
    buffer = langevin.uniform(buffer_key, self.config.langevin.buffer_size, *self.box(x.shape[1]))
    return init_train_state(params, self.optimizer, self.config.train.ema_decay,
                            model_state={"buffer": buffer})

  def train_step(self, state: TrainState, batch: dict, rng: jax.Array):
    positive = batch[self.key]
    c = self.config.langevin
    start_key, chain_key = jax.random.split(rng)
    buffer = state.model_state["buffer"]
    slots, start = langevin.buffer_starts(buffer, start_key, len(positive), c.reinit,
                                          *self.box(positive.shape[1]))
    negative = jax.lax.stop_gradient(self.chains(state.params, start, chain_key, c.num_steps))

    def objective(params):
      e_pos, e_neg = self.energy(params, positive), self.energy(params, negative)
      regulariser = self.config.loss.alpha * jnp.mean(e_pos**2 + e_neg**2)
      return jnp.mean(e_pos) - jnp.mean(e_neg) + regulariser, (e_pos, e_neg)

    (loss, (e_pos, e_neg)), grads = jax.value_and_grad(objective, has_aux=True)(state.params)
    new_state, norms = apply_gradients(state, grads, self.optimizer, self.config.train.ema_decay)
    new_state = new_state.replace(model_state={"buffer": buffer.at[slots].set(negative)})
    return new_state, {"loss": loss, "energy_positive": jnp.mean(e_pos),
                       "energy_negative": jnp.mean(e_neg), **norms}

  def eval_step(self, state: TrainState, batch: dict, rng: jax.Array) -> Dict[str, jax.Array]:
    """Per-example ``energy`` (the NLL up to log Z, which ``evaluate`` integrates); ``loss`` is
    the same number, as training's positive term."""
    energy = self.energy(state.eval_params, batch[self.key])
    return {"loss": energy, "energy": energy}

  def sample(self, state: TrainState, rng: jax.Array, num: int) -> jax.Array:
    """``sample.num_steps`` of SGLD from uniform noise over the box: [num, D]."""
    start_key, chain_key = jax.random.split(rng)
    start = langevin.uniform(start_key, num, *self.box(self.info.shape[0]))
    return self.chains(state.eval_params, start, chain_key, self.config.sample.num_steps)

  def evaluate(self, state: TrainState, results: Dict[str, np.ndarray], sampler: Sampler,
               rng: jax.Array) -> Dict[str, float]:
    """``log_normalizer`` (log Z on an ``eval.grid_size``-square grid over the box), the test
    ``nll`` = mean energy + log Z, with a known entropy ``true_entropy`` and ``kl_gap``; and the
    ``point_sample_metrics`` of ``eval.num_mode_samples`` Langevin samples."""
    log_z = grid.log_normalizer(lambda x: -self.energy(state.eval_params, x), self.low,
                                self.high, self.config.eval.grid_size)
    metrics = {"energy": float(np.mean(results["energy"])), "log_normalizer": log_z,
               "num_test_examples": len(results["energy"])}
    metrics["nll"] = metrics["energy"] + log_z
    if self.info.entropy is not None:
      metrics["true_entropy"] = float(self.info.entropy)
      metrics["kl_gap"] = metrics["nll"] - metrics["true_entropy"]
    samples = sampler(rng, self.config.eval.num_mode_samples)
    metrics.update(evaluation.point_sample_metrics(samples, self.config.data.name,
                                                   self.eval_split))
    return metrics


def make_experiment(config: ml_collections.ConfigDict) -> EBMExperiment:
  return EBMExperiment(config)
