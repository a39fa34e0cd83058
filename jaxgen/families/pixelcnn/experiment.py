"""The PixelCNN family on the shared runner: PixelCNN, Gated PixelCNN, PixelCNN++ and their
class-conditional variants, trained by exact maximum likelihood.

Model: ``P(x) = prod_i P(x_i | x_<i, y)`` in raster order (R -> G -> B inside a pixel), the network
by name (``model.ARCHITECTURES``: pixelcnn, gated_pixelcnn, pixelcnn_pp), the pixel distribution by
name (``heads.HEADS``: bernoulli, softmax, logistic_mixture) and the loss by name
(``losses.LOSSES``: nll in nats, bits_per_dim). Data stay on their level grid (no dequantization):
the heads are distributions over the levels.

With ``model.dist_aug`` (``augment.TRANSFORMS``: none, flips, dihedral) the network is also
conditioned on a transform t of the image, trained on ``P(t(x) | t)`` with t drawn per example,
and evaluated and sampled as the exact uniform mixture ``1/T sum_t P(t(x) | t)`` (distribution
augmentation, Jun et al. 2020; ``augment.py``); ``nll_identity`` is the identity's term alone.

With ``model.label_mixture`` a class-conditional network, trained with the labels, is evaluated
as an unconditional model, the exact uniform mixture over its labels ``P(x) = 1/K sum_y P(x | y)``
(a log-mean-exp over the K labels): the test labels are not used, and samples draw y uniformly.

Uses beyond training, each a function of params: ``sample`` (``sample.method`` plain or fast,
at ``sample.temperature``; conditional labels cycle 0, 1, ..., K-1) and ``complete`` (the bottom
half of images drawn given their top half); ``sample_grid`` shows samples, and held-out images
with their top halves and completions.
"""

import math
from typing import Dict, Optional

import jax
import jax.numpy as jnp
import ml_collections
import numpy as np

from jaxgen.core import evaluation
from jaxgen.core.experiment import Examples, Experiment, Sampler, TrainState, init_train_state
from jaxgen.core.optim import make_optimizer
from jaxgen.errors import ConfigError
from jaxgen.eval.likelihood import log_mean_exp
from jaxgen.families.pixelcnn import augment, heads, losses, sampling
from jaxgen.families.pixelcnn.model import build_model

GRID_COLUMNS = 10
GRID_COMPLETIONS = 2  # completions drawn per held-out image


class PixelCNNExperiment(Experiment):
  """Implements the Experiment protocol (jaxgen.core.experiment) for PixelCNNs."""
  anomaly_score_is_nll = True  # anomaly_score: nats, so images get the complexity-corrected AUROC
  grid_columns = GRID_COLUMNS

  def __init__(self, config: ml_collections.ConfigDict):
    super().__init__(config)
    self._check(config)
    self.num_levels = 2 if config.data.binarize else self.info.num_levels
    self.shape = tuple(self.info.shape)
    self.num_dims = math.prod(self.shape)
    self.value_range = self.info.value_range(config.data.scale)
    self.head = heads.HEADS.get(config.model.head)(self.num_levels, self.value_range, config.model)
    self._check_head(config)
    self.num_classes = self.info.num_classes if config.model.conditional else 0
    self.transforms = augment.transform_set(config.model.dist_aug, self.shape)
    # The network's embedding: one entry per (class, transform) pair that it is conditioned on.
    conditioned = self.num_classes or len(self.transforms) > 1
    self.num_conditions = max(self.num_classes, 1) * len(self.transforms) if conditioned else 0
    # A head that orders the channels itself needs no within-pixel masks: one channel group.
    mask_channels = 1 if self.head.channels_in_head else self.shape[-1]
    self.model = build_model(config.model, self.head.num_outputs(self.shape[-1]), mask_channels,
                             self.num_conditions)
    self.pixel_sampler = sampling.SAMPLERS.get(config.sample.method)
    if self.pixel_sampler is sampling.fast and not hasattr(self.model, "pixel_step"):
      raise ConfigError(f"model.name={config.model.name!r} has no pixel-by-pixel cache; set "
                        "sample.method='plain'")
    self.optimizer = make_optimizer(config.optimizer, config.train.num_steps)
    self.loss_fn = losses.LOSSES.get(config.loss.name)

  def prepare(self, examples: Examples) -> None:
    """Keeps the first ``GRID_COLUMNS`` test images (and their labels) for the completion grid."""
    held_out = examples(self.eval_split, GRID_COLUMNS)
    self.held_out = jnp.asarray(held_out[self.key])
    self.held_out_labels = jnp.asarray(held_out["label"]) if self.num_classes else None

  def _check(self, config: ml_collections.ConfigDict) -> None:
    """Config combinations that would train a wrong model silently."""
    if self.info.kind != "image":
      raise ConfigError(f"PixelCNNs model images; {self.info.name!r} is {self.info.kind}")
    if config.data.dequantize:
      raise ConfigError("PixelCNN heads are distributions over the levels; "
                        "set data.dequantize=False")
    if config.model.conditional and not self.info.num_classes:
      raise ConfigError(f"model.conditional needs labels; {self.info.name!r} has none")
    if config.model.label_mixture and not config.model.conditional:
      raise ConfigError("model.label_mixture evaluates a class-conditional network as the mixture "
                        "over its labels; set model.conditional=True")
    if config.sample.temperature <= 0:
      raise ConfigError(f"sample.temperature must be > 0, got {config.sample.temperature}")

  def _check_head(self, config: ml_collections.ConfigDict) -> None:
    binary = self.num_levels == 2 and config.data.scale == "0_1"
    if isinstance(self.head, heads.Bernoulli) and not binary:
      raise ConfigError(f"model.head='bernoulli' needs binary data in {{0, 1}}; {self.info.name!r} "
                        f"has {self.num_levels} levels (set data.binarize or use softmax)")

  # -- the model as functions of params --------------------------------------------------------

  def condition(self, labels: Optional[jax.Array], transform, batch_size: int):
    """The network's conditioning index [B]: ``label * T + t`` (None when it has none); labels [B]
    or None, transform: an int or [B] ints."""
    if not self.num_conditions:
      return None
    transform = jnp.broadcast_to(jnp.asarray(transform, jnp.int32), (batch_size,))
    return transform if labels is None else labels * len(self.transforms) + transform

  def log_prob(self, params, x: jax.Array, condition: Optional[jax.Array],
               dropout_rng: Optional[jax.Array] = None) -> jax.Array:
    """Exact ``log P(x | c)`` in nats of the network conditioned on ``condition`` [B] (None: none):
    x [B, H, W, C] on the level grid -> [B]. With ``dropout_rng`` the network runs in training mode
    (dropout on)."""
    train = dropout_rng is not None
    outputs = self.model.apply({"params": params}, x, condition, train,
                               rngs={"dropout": dropout_rng} if train else None)
    return jnp.sum(self.head.log_prob(outputs, x), axis=(1, 2))

  def objective(self, params, batch: dict, rng: Optional[jax.Array] = None):
    """Per-example loss ``[B]`` and its terms ``{name: [B]}``. With ``rng`` (training): dropout on,
    and under ``model.dist_aug`` one transform per example, ``-log P(t(x) | t, y)``; without: the
    model's exact ``-log P(x)`` (under ``model.dist_aug`` the uniform mixture over t, and
    ``nll_identity``; under ``model.label_mixture`` the uniform mixture over the labels, which the
    batch's labels do not enter)."""
    x = batch[self.key]
    size = x.shape[0]
    labels = jnp.asarray(batch["label"]) if self.num_classes else None
    augmented = len(self.transforms) > 1
    if rng is not None:
      index = 0
      if augmented:  # training: one transform per example
        rng, transform_rng = jax.random.split(rng)
        index = jax.random.randint(transform_rng, (size,), 0, len(self.transforms))
        x = augment.apply_each(self.transforms, x, index)
      return self.loss_fn(self.log_prob(params, x, self.condition(labels, index, size), rng),
                          self.num_dims, self.num_levels)

    def given(labels):  # log P(x | labels) [B] and its identity term [B]
      return augment.mixture_log_prob(self.transforms, x, lambda x_t, t: self.log_prob(
          params, x_t, self.condition(labels, t, size)))

    if self.config.model.label_mixture:
      per_label = jax.lax.map(lambda y: given(jnp.full((size,), y, jnp.int32)),
                              jnp.arange(self.num_classes))
      log_prob, identity = (log_mean_exp(v, axis=0) for v in per_label)
    else:
      log_prob, identity = given(labels)
    loss, terms = self.loss_fn(log_prob, self.num_dims, self.num_levels)
    if augmented:
      _, identity_terms = self.loss_fn(identity, self.num_dims, self.num_levels)
      terms = {**terms, **{f"{name}_identity": value for name, value in identity_terms.items()}}
    return loss, terms

  def draw(self, params, canvas: jax.Array, condition, rng: jax.Array, first_row: int) -> jax.Array:
    """Rows >= first_row of canvas [B, H, W, C] drawn by ``sample.method`` given the network's
    ``condition`` [B] (or None)."""
    return self.pixel_sampler(self.model, params, self.head, canvas, condition, rng,
                              self.config.sample.temperature, first_row)

  def complete(self, params, images: jax.Array, labels: Optional[jax.Array],
               rng: jax.Array) -> jax.Array:
    """The bottom half of images [B, H, W, C] drawn given their top half (rows < H / 2), in raster
    order (under ``model.dist_aug``: by the identity's conditional)."""
    first_row = self.shape[0] // 2
    canvas = images.at[:, first_row:].set(0.0)
    return self.draw(params, canvas, self.condition(labels, 0, images.shape[0]), rng, first_row)

  # -- the Experiment protocol -----------------------------------------------------------------

  def init(self, rng: jax.Array, example_batch: dict) -> TrainState:
    x = example_batch[self.key]
    labels = example_batch["label"] if self.num_classes else None
    params = self.model.init(rng, x, self.condition(labels, 0, x.shape[0]))["params"]
    return init_train_state(params, self.optimizer, self.config.train.ema_decay)

  def loss(self, params, model_state, batch: dict, rng: jax.Array, step: jax.Array):
    return self.objective(params, batch, rng)

  def eval_step(self, state: TrainState, batch: dict, rng: jax.Array) -> Dict[str, jax.Array]:
    """Per-example ``loss``, ``nll`` (nats), above 2 levels ``bits_per_dim``, and under
    ``model.dist_aug`` the identity's terms (``nll_identity``, ...)."""
    loss, terms = self.objective(state.eval_params, batch)
    return {"loss": loss, **terms}

  def sample(self, state: TrainState, rng: jax.Array, num: int) -> jax.Array:
    """``num`` images in data space, [num, H, W, C]. Under ``model.dist_aug``: from the mixture,
    t uniform, y ~ P(. | t), x = t^-1(y); under ``model.label_mixture`` the label uniform."""
    canvas = jnp.zeros((num, *self.shape), jnp.float32)
    augmented, index = len(self.transforms) > 1, 0
    if augmented:
      transform_rng, rng = jax.random.split(rng)
      index = jax.random.randint(transform_rng, (num,), 0, len(self.transforms))
    labels = self.sample_labels(num)
    if self.config.model.label_mixture:
      label_rng, rng = jax.random.split(rng)
      uniform = jnp.full((self.num_classes,), -math.log(self.num_classes))
      labels = jax.random.categorical(label_rng, uniform, shape=(num,))
    drawn = self.draw(state.eval_params, canvas, self.condition(labels, index, num), rng, 0)
    return augment.invert_each(self.transforms, drawn, index) if augmented else drawn

  def sample_grid(self, state: TrainState, rng: jax.Array) -> jax.Array:
    """Rows of samples (``eval.num_samples`` rounded down to whole rows; conditional: column k is
    class k), then held-out images, their top halves, and completions of their bottom halves."""
    sample_key, complete_key = jax.random.split(rng)
    originals = self.held_out
    top_halves = originals.at[:, self.shape[0] // 2:].set(0.0)
    completions = [self.complete(state.eval_params, originals, self.held_out_labels,
                                 jax.random.fold_in(complete_key, n))
                   for n in range(GRID_COMPLETIONS)]
    num_samples = max(self.config.eval.num_samples // GRID_COLUMNS, 1) * GRID_COLUMNS
    return jnp.concatenate([self.sample(state, sample_key, num_samples), originals, top_halves,
                            *completions])

  def grid_rows(self):
    return (("samples", max(self.config.eval.num_samples // GRID_COLUMNS, 1)), ("held out", 1),
            ("top halves", 1), ("completions", GRID_COMPLETIONS))

  def anomaly_score(self, results: Dict[str, np.ndarray]) -> np.ndarray:
    """The exact negative log-likelihood (nats)."""
    return results["nll"]

  def evaluate(self, state: TrainState, results: Dict[str, np.ndarray], sampler: Sampler,
               rng: jax.Array) -> Dict[str, float]:
    """Test-split means of ``eval_step``'s metrics (``nll`` in nats per example, ...) and, with
    ``eval.fid_extractor``, the sample metrics of ``evaluation.image_sample_metrics`` (FID, KID,
    precision/recall, class coverage; ``label_accuracy`` when conditional on given labels)."""
    metrics = {name: float(np.mean(value)) for name, value in results.items() if name != "label"}
    metrics["num_test_examples"] = len(results["nll"])
    e = self.config.eval
    if e.fid_extractor:
      # Sampled with given labels unless the model is the mixture over them.
      given_labels = self.num_classes if not self.config.model.label_mixture else None
      metrics.update(evaluation.drawn_image_metrics(
          sampler(rng, e.num_image_samples), self.config.data.name, e, self.value_range,
          given_labels))
    return metrics


def make_experiment(config: ml_collections.ConfigDict) -> PixelCNNExperiment:
  return PixelCNNExperiment(config)
