"""The energy-based family on the shared runner: ``p(x) = exp(-E(x)) / Z``, trained by contrastive
divergence with short-run Langevin chains and a replay buffer (Du & Mordatch 2019), on 2-D
points (an MLP energy) or images (a convolutional one), and JEM (Grathwohl et al. 2020).

Training step: chains start from the replay buffer (a fraction ``langevin.reinit`` from uniform
noise over the data's box: the points' range, or the images' value range), run
``langevin.num_steps`` of SGLD on the current energy, and their ends x- are the negatives; the
loss is ``E(x+) - E(x-) + alpha (E(x+)^2 + E(x-)^2)`` (the regulariser keeps the energies near 0)
and the chain ends go back to the buffer, which lives in ``TrainState.model_state`` so it is
checkpointed and a resumed run continues the same chains.

JEM (``model.energy = "jem"``, labelled images): the network's K outputs are a classifier's
logits f(x); E(x) = -logsumexp_y f(x)[y] is the energy the chains sample and the contrastive term
shapes, and the loss adds the cross-entropy of p(y|x) = softmax f(x) on the labelled batch.

Evaluation on 2-D points: the normaliser Z by integration on a fine grid over the box
(``jaxgen.eval.grid``), so the test NLL ``E(x) + log Z`` is exact up to the grid, and against a
known entropy the ``kl_gap``; samples are long SGLD chains from uniform noise, scored by
``evaluation.point_sample_metrics`` (modes captured, high-quality fraction, MMD). On images: the
mean test energy, JEM's test accuracy, and the sample metrics (FID, KID, precision / recall, class
coverage) of SGLD chains from noise or continued from the buffer (``sample.start``). The energy
is the anomaly score (``data.exclude_labels``, ``jaxgen one-class``).
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
from jaxgen.families.ebm import langevin, losses
from jaxgen.families.ebm.model import EnergyCNN, EnergyMLP

ENERGIES = ("scalar", "jem")  # the network's one output, or -logsumexp of its K logits
STARTS = ("noise", "buffer")  # where sample's chains start


class EBMExperiment(Experiment):
  """Implements the Experiment protocol (jaxgen.core.experiment) for energy-based models."""

  def __init__(self, config: ml_collections.ConfigDict):
    super().__init__(config)
    # Absent from the configs of workdirs older than images and JEM.
    energy, start = config.model.get("energy", "scalar"), config.sample.get("start", "noise")
    if self.info.kind not in ("points", "image"):
      raise ConfigError(f"the EBM family models 2-D points and images; {self.info.name!r} is "
                        f"{self.info.kind}")
    if config.loss.name != "contrastive_divergence":
      raise ConfigError(f"loss.name {config.loss.name!r} is unknown; valid: "
                        "'contrastive_divergence'")
    if energy not in ENERGIES or start not in STARTS:
      raise ConfigError(f"expected model.energy in {ENERGIES} and sample.start in {STARTS}, got "
                        f"{energy!r}, {start!r}")
    if energy == "jem" and (self.info.kind != "image" or not self.info.num_classes):
      raise ConfigError(f"model.energy='jem' needs labelled images; {self.info.name!r} is "
                        f"{self.info.kind}{'' if self.info.num_classes else ' without labels'}")
    if config.eval.get("fid_extractor") and self.info.kind != "image":
      raise ConfigError(f"eval.fid_extractor needs image data; {self.info.name!r} is points "
                        "(set it to '')")
    c = config.langevin
    if c.num_steps < 1 or c.step_size <= 0 or c.noise_std < 0 or not 0 <= c.reinit <= 1:
      raise ConfigError(f"expected langevin.num_steps >= 1, step_size > 0, noise_std >= 0 and "
                        f"0 <= reinit <= 1, got {c.num_steps}, {c.step_size}, {c.noise_std}, "
                        f"{c.reinit}")
    self.jem = energy == "jem"
    self.start = start
    if self.info.kind == "points":
      self.model = EnergyMLP(tuple(config.model.hidden))
    else:
      self.model = EnergyCNN(tuple(config.model.widths), tuple(config.model.hidden),
                             self.info.num_classes if self.jem else 1)
      self.low, self.high = self.info.value_range(config.data.scale)
    self.optimizer = make_optimizer(config.optimizer, config.train.num_steps)

  def prepare(self, examples: Examples) -> None:
    """Points: the box the chains start in and the normaliser is integrated over: the training
    points' range, widened by ``model.box_margin`` on every side. (Images: their value range.)"""
    if self.info.kind != "points":
      return
    points = examples("train", 100_000)[self.key]
    margin = self.config.model.box_margin
    self.low = float(points.min() - margin)
    self.high = float(points.max() + margin)

  def box(self) -> tuple[jax.Array, jax.Array]:
    """The box's corners, each of an example's shape."""
    return jnp.full(self.info.shape, self.low), jnp.full(self.info.shape, self.high)

  # -- the model as functions of params --------------------------------------------------------

  def network(self, params, x: jax.Array) -> jax.Array:
    """The energy [B] (points), or [B, 1] (images), or JEM's logits [B, K]."""
    return self.model.apply({"params": params}, x)

  def energy_of(self, outputs: jax.Array) -> jax.Array:
    """E(x) [B] from ``network``'s outputs."""
    if self.jem:
      return losses.jem_energy(outputs)
    return outputs if self.info.kind == "points" else outputs[:, 0]

  def energy(self, params, x: jax.Array) -> jax.Array:
    return self.energy_of(self.network(params, x))

  def chains(self, params, start: jax.Array, rng: jax.Array, num_steps: int) -> jax.Array:
    c = self.config.langevin
    return langevin.langevin(lambda x: self.energy(params, x), start, rng, num_steps, c.step_size,
                             c.noise_std)

  # -- the Experiment protocol -----------------------------------------------------------------

  def init(self, rng: jax.Array, example_batch: dict) -> TrainState:
    init_key, buffer_key = jax.random.split(rng)
    params = self.model.init(init_key, example_batch[self.key])["params"]
    buffer = langevin.uniform(buffer_key, self.config.langevin.buffer_size, *self.box())
    return init_train_state(params, self.optimizer, self.config.train.ema_decay,
                            model_state={"buffer": buffer})

  def train_step(self, state: TrainState, batch: dict, rng: jax.Array):
    positive = batch[self.key]
    c = self.config.langevin
    start_key, chain_key = jax.random.split(rng)
    buffer = state.model_state["buffer"]
    slots, start = langevin.buffer_starts(buffer, start_key, len(positive), c.reinit, *self.box())
    negative = jax.lax.stop_gradient(self.chains(state.params, start, chain_key, c.num_steps))

    def objective(params):
      outputs = self.network(params, positive)
      e_pos, e_neg = self.energy_of(outputs), self.energy(params, negative)
      loss = losses.contrastive_divergence(e_pos, e_neg, self.config.loss.alpha)
      if not self.jem:
        return loss, (e_pos, e_neg, {})
      cross_entropy = jnp.mean(losses.cross_entropy(outputs, batch["label"]))
      correct = jnp.argmax(outputs, -1) == batch["label"]
      return loss + cross_entropy, (e_pos, e_neg, {
          "contrastive_divergence": loss, "cross_entropy": cross_entropy,
          "accuracy": jnp.mean(correct.astype(jnp.float32))})

    (loss, (e_pos, e_neg, terms)), grads = jax.value_and_grad(objective, has_aux=True)(
        state.params)
    new_state, norms = apply_gradients(state, grads, self.optimizer, self.config.train.ema_decay)
    new_state = new_state.replace(model_state={"buffer": buffer.at[slots].set(negative)})
    return new_state, {"loss": loss, "energy_positive": jnp.mean(e_pos),
                       "energy_negative": jnp.mean(e_neg), **terms, **norms}

  def eval_step(self, state: TrainState, batch: dict, rng: jax.Array) -> Dict[str, jax.Array]:
    """Per-example ``energy`` (the NLL up to log Z, which ``evaluate`` integrates on points);
    ``loss`` is the same number, as training's positive term, except for JEM, whose ``loss`` is
    the cross-entropy of p(y|x) (nats), beside ``accuracy`` (0/1)."""
    outputs = self.network(state.eval_params, batch[self.key])
    energy = self.energy_of(outputs)
    if not self.jem:
      return {"loss": energy, "energy": energy}
    correct = jnp.argmax(outputs, -1) == batch["label"]
    return {"loss": losses.cross_entropy(outputs, batch["label"]), "energy": energy,
            "accuracy": correct.astype(jnp.float32)}

  def sample(self, state: TrainState, rng: jax.Array, num: int) -> jax.Array:
    """``sample.num_steps`` of SGLD from uniform noise over the box, or from states of the replay
    buffer drawn at random (``sample.start``): [num, ...]."""
    start_key, chain_key = jax.random.split(rng)
    if self.start == "buffer":
      _, start = langevin.buffer_starts(state.model_state["buffer"], start_key, num, 0.0,
                                        *self.box())
    else:
      start = langevin.uniform(start_key, num, *self.box())
    return self.chains(state.eval_params, start, chain_key, self.config.sample.num_steps)

  def evaluate(self, state: TrainState, results: Dict[str, np.ndarray], sampler: Sampler,
               rng: jax.Array) -> Dict[str, float]:
    """Points: ``log_normalizer`` (log Z on an ``eval.grid_size``-square grid over the box), the
    test ``nll`` = mean energy + log Z, with a known entropy ``true_entropy`` and ``kl_gap``; and
    the ``point_sample_metrics`` of ``eval.num_mode_samples`` Langevin samples. Images:
    ``image_metrics``."""
    if self.info.kind != "points":
      return self.image_metrics(results, sampler, rng)
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

  def image_metrics(self, results: Dict[str, np.ndarray], sampler: Sampler,
                    rng: jax.Array) -> Dict[str, float]:
    """The split's mean ``energy``; JEM's ``accuracy``, ``error`` and ``cross_entropy``; and in
    the features of ``eval.fid_extractor`` ("" skips them) the ``image_sample_metrics`` of
    ``eval.num_image_samples`` Langevin samples (FID, KID, precision / recall, class coverage)."""
    metrics = {"energy": float(np.mean(results["energy"])),
               "num_test_examples": len(results["energy"])}
    if self.jem:
      metrics["accuracy"] = float(np.mean(results["accuracy"]))
      metrics["error"] = 1.0 - metrics["accuracy"]
      metrics["cross_entropy"] = float(np.mean(results["loss"]))
    e = self.config.eval
    if not e.fid_extractor:
      return metrics
    samples = sampler(rng, e.num_image_samples)
    value_range = self.info.value_range(self.config.data.scale)
    metrics.update(evaluation.drawn_image_metrics(samples, self.config.data.name, e, value_range))
    return metrics

  def anomaly_score(self, results: Dict[str, np.ndarray]) -> np.ndarray:
    """The energy E(x) (unnormalised: log Z is one constant, which AUROC ignores)."""
    return results["energy"]


def make_experiment(config: ml_collections.ConfigDict) -> EBMExperiment:
  return EBMExperiment(config)
