"""A classifier of labelled images on the shared runner: the fixed small CNN that the data
augmentation study (``jaxgen augment``) trains on few labels, with or without classical
augmentation and generated images (``data.labels_per_class``, ``data.augment``,
``data.synthetic``).

The network is the feature networks' ``ImageClassifier`` (two 3x3 convolutions and a max-pool per
width, a Dense layer, the head), trained here from scratch by cross-entropy (regularised by the
optimizer's weight decay). A classifier draws no samples: its grid shows the held-out images it
gets most wrong.
"""

from typing import Dict

import jax
import jax.numpy as jnp
import ml_collections
import numpy as np

from jaxgen.core.experiment import Examples, Experiment, Sampler, TrainState, init_train_state
from jaxgen.core.optim import make_optimizer
from jaxgen.errors import ConfigError
from jaxgen.eval.features.classifier import ImageClassifier

HELD_OUT = 512  # held-out images the grid chooses its worst-classified from
GRID_COLUMNS = 8


class ClassifierExperiment(Experiment):
  """Implements the Experiment protocol (jaxgen.core.experiment) for an image classifier."""
  grid_columns = GRID_COLUMNS
  draws_samples = False

  def __init__(self, config: ml_collections.ConfigDict):
    super().__init__(config)
    if self.info.kind != "image" or not self.info.num_classes:
      raise ConfigError(f"the classifier family needs labelled images; {self.info.name!r} is "
                        f"{self.info.kind}{'' if self.info.num_classes else ' without labels'}")
    if config.loss.name != "cross_entropy":
      raise ConfigError(f"loss.name {config.loss.name!r} is unknown; valid: 'cross_entropy'")
    m = config.model
    self.network = ImageClassifier(tuple(m.widths), m.feature_dim, self.info.num_classes)
    self.optimizer = make_optimizer(config.optimizer, config.train.num_steps)

  def prepare(self, examples: Examples) -> None:
    held_out = examples(self.eval_split, HELD_OUT)
    self.held_out, self.held_out_labels = (jnp.asarray(held_out[self.key]),
                                           jnp.asarray(held_out["label"]))

  def logits(self, params, images: jax.Array) -> jax.Array:
    return self.network.apply({"params": params}, images)[1]

  def cross_entropy(self, logits: jax.Array, labels: jax.Array) -> jax.Array:
    """-log softmax(logits)[label], nats: [B, K], [B] -> [B]."""
    return -jnp.take_along_axis(jax.nn.log_softmax(logits), labels[:, None], axis=1)[:, 0]

  def init(self, rng: jax.Array, example_batch: dict) -> TrainState:
    params = self.network.init(rng, example_batch[self.key])["params"]
    return init_train_state(params, self.optimizer, self.config.train.ema_decay)

  def loss(self, params, model_state, batch: dict, rng: jax.Array, step: jax.Array):
    logits = self.logits(params, batch[self.key])
    correct = (jnp.argmax(logits, -1) == batch["label"]).astype(jnp.float32)
    return self.cross_entropy(logits, batch["label"]), {"accuracy": correct}

  def eval_step(self, state: TrainState, batch: dict, rng: jax.Array) -> Dict[str, jax.Array]:
    """Per-example ``loss`` (cross-entropy, nats), ``accuracy`` (0/1) and ``error``."""
    logits = self.logits(state.eval_params, batch[self.key])
    loss = self.cross_entropy(logits, batch["label"])
    correct = (jnp.argmax(logits, -1) == batch["label"]).astype(jnp.float32)
    return {"loss": loss, "accuracy": correct, "error": 1.0 - correct}

  def sample_grid(self, state: TrainState, rng: jax.Array) -> jax.Array:
    """The held-out images with the lowest probability of their label, worst first: whole rows
    of ``GRID_COLUMNS``, ``eval.num_samples`` at most."""
    loss = self.cross_entropy(self.logits(state.eval_params, self.held_out), self.held_out_labels)
    return self.held_out[jnp.argsort(-loss)[:self.grid_rows()[0][1] * GRID_COLUMNS]]

  def grid_rows(self):
    return (("worst-classified held-out images",
             max(1, self.config.eval.num_samples // GRID_COLUMNS)),)

  def evaluate(self, state: TrainState, values: Dict[str, np.ndarray], sampler: Sampler,
               rng: jax.Array) -> Dict[str, float]:
    """Accuracy, error and cross-entropy over the split, and the accuracy of each class."""
    metrics = {name: float(np.mean(values[name])) for name in ("accuracy", "error", "loss")}
    labels = values["label"].astype(int)
    for k in range(self.info.num_classes):
      metrics[f"accuracy_class_{k}"] = float(np.mean(values["accuracy"][labels == k]))
    metrics["num_test_examples"] = int(len(labels))
    return metrics


def make_experiment(config: ml_collections.ConfigDict) -> ClassifierExperiment:
  return ClassifierExperiment(config)
