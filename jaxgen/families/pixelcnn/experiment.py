"""The PixelCNN family on the shared runner: PixelCNN, Gated PixelCNN and their class-conditional
variants, trained by exact maximum likelihood.

Model: ``P(x) = prod_i P(x_i | x_<i, y)`` in raster order (R -> G -> B inside a pixel), the network
by name (``model.ARCHITECTURES``: pixelcnn, gated_pixelcnn), the pixel distribution by name
(``heads.HEADS``: bernoulli, softmax, logistic_mixture) and the loss by name (``losses.LOSSES``:
nll in nats, bits_per_dim). Data stay on their level grid (no dequantization): the heads are
distributions over the levels.

With ``model.dist_aug`` (``augment.TRANSFORMS``: none, flips, dihedral, dihedral_shifts) the
network is also conditioned on a transform t of the image, trained on ``P(t(x) | t)`` with t drawn
per example, and evaluated and sampled as the exact mixture ``sum_t w_t P(t(x) | t)``
(distribution augmentation, Jun et al. 2020; ``augment.py``); ``nll_identity`` is the identity's
term alone. The weights w are uniform or, under ``model.transform_weights = "em"``, the
maximum-likelihood weights of the train split (``fit_transform_weights``), refit inside the train
step whenever the runner will evaluate or save, and kept in the state's ``model_state``.

A conditional network can be evaluated as an unconditional model, the exact mixture over its
conditions ``P(x) = sum_c pi_c P(x | c)`` (``mixture.py``): over the labels (``model.label_mixture``,
pi uniform; trained with labels, it needs none at test) or over clusters of the train images
(``model.clusters``, by ``model.cluster_method``: kmeans or ward; pi their shares; no labels at
all), each training image conditioned on its own.

Uses beyond training, each a function of params: ``sample`` (``sample.method`` plain or fast,
at ``sample.temperature``; conditional labels cycle 0, 1, ..., K-1, a mixture's c ~ pi) and
``complete`` (the bottom half of images drawn given their top half); ``sample_grid`` shows samples,
and held-out images with their top halves and completions.
"""

import math
from typing import Callable, Dict, Iterator, Optional

import jax
import jax.numpy as jnp
import ml_collections
import numpy as np

from jaxgen import data as data_lib
from jaxgen.core.experiment import TrainState, apply_gradients, init_train_state
from jaxgen.core.optim import make_optimizer
from jaxgen.core.runner import value_range
from jaxgen.errors import ConfigError
from jaxgen.eval import samples as eval_samples
from jaxgen.families.pixelcnn import augment, heads, losses, mixture, sampling
from jaxgen.families.pixelcnn.model import build_model

GRID_COLUMNS = 10
GRID_COMPLETIONS = 2  # completions drawn per held-out image
TRANSFORM_WEIGHTS = ("uniform", "em")  # model.transform_weights
FIT_IMAGES = 2048  # fit_transform_weights uses the first this many train images (digits: all 1,497)
FIT_CHUNK = 128  # ... this many at a time


class PixelCNNExperiment:
  """Implements the Experiment protocol (jaxgen.core.experiment) for PixelCNNs."""

  def __init__(self, config: ml_collections.ConfigDict):
    self.config = config
    self.info = data_lib.dataset_info(config.data.name)
    self.key = self.info.key
    self._check(config)
    self.num_levels = 2 if config.data.binarize else self.info.num_levels
    self.shape = tuple(self.info.shape)
    self.num_dims = math.prod(self.shape)
    self.channels = self.shape[-1]
    self.head = heads.HEADS.get(config.model.head)(self.num_levels, value_range(config), config.model)
    self._check_head(config)
    # Conditions the network is told and, for a mixture (mixture.py), their log weights [C].
    self.clusters = int(config.model.clusters)
    self.num_classes = self.info.num_classes if config.model.conditional else self.clusters
    self.log_weights = self.clustering = None
    if config.model.label_mixture:
      self.log_weights = jnp.full((self.num_classes,), -math.log(self.num_classes))
    self.transforms = augment.transform_set(config.model.dist_aug, self.shape)
    # dist_aug "none" has one transform: nothing to weigh.
    self.fit_transforms = config.model.transform_weights == "em" and len(self.transforms) > 1
    self.fit_set = self.train_examples(FIT_IMAGES) if self.fit_transforms else None
    # The network's embedding: one entry per (class, transform) pair that it is conditioned on.
    conditioned = self.num_classes or len(self.transforms) > 1
    self.num_conditions = max(self.num_classes, 1) * len(self.transforms) if conditioned else 0
    # A head that orders the channels itself needs no within-pixel masks: one channel group.
    mask_channels = 1 if self.head.channels_in_head else self.channels
    self.model = build_model(config.model, self.head.num_outputs(self.channels), mask_channels,
                             self.num_conditions)
    self.sampler = sampling.SAMPLERS.get(config.sample.method)
    if self.sampler is sampling.fast and not hasattr(self.model, "pixel_step"):
      raise ConfigError(f"model.name={config.model.name!r} has no pixel-by-pixel cache; set "
                        "sample.method='plain'")
    self.optimizer = make_optimizer(config.optimizer, config.train.num_steps)
    self.loss = losses.LOSSES.get(config.loss.name)
    self._sample = jax.jit(self.sample, static_argnums=2)
    self._complete = jax.jit(self.complete)
    test = data_lib.load(config.data.name, "test", GRID_COLUMNS, seed=config.seed, shuffle=False,
                         repeat=False, scale=config.data.scale, binarize=config.data.binarize)
    batch = next(iter(test))
    self.held_out = jnp.asarray(batch[self.key])
    if self.clusters:
      cluster = mixture.CLUSTERINGS.get(config.model.cluster_method)
      self.clustering = mixture.Clustering(*map(jnp.asarray, cluster(
          self.train_images(), self.clusters, config.seed)))
      self.log_weights = self.clustering.log_weights
    self.held_out_labels = self.labels_of(batch, self.held_out)

  def train_images(self) -> np.ndarray:
    """The whole train split as the model sees it, in stored order: [N, H, W, C]."""
    c = self.config.data
    return eval_samples.split_images(c.name, "train", self.info.num_examples["train"],
                                     scale=c.scale, binarize=c.binarize)

  def train_examples(self, num: int) -> dict:
    """The first ``num`` train examples in stored order as one batch (``image``, ``mask``, and
    ``label`` where the data have labels), padded with mask 0 to a multiple of ``FIT_CHUNK``."""
    c = self.config.data
    count = min(num, self.info.num_examples["train"])
    stream = data_lib.load(c.name, "train", -(-count // FIT_CHUNK) * FIT_CHUNK, shuffle=False,
                           repeat=False, process_index=0, process_count=1, scale=c.scale,
                           binarize=c.binarize)
    batch = next(iter(stream))
    batch["mask"] = np.where(np.arange(len(batch["mask"])) < count, batch["mask"], 0.0)
    return {name: jnp.asarray(value) for name, value in batch.items()
            if name in (self.key, "mask", "label")}

  def _check(self, config: ml_collections.ConfigDict) -> None:
    """Config combinations that would train a wrong model silently."""
    if self.info.kind != "image":
      raise ConfigError(f"PixelCNNs model images; {self.info.name!r} is {self.info.kind}")
    if config.data.dequantize:
      raise ConfigError("PixelCNN heads are distributions over the levels; set data.dequantize=False")
    if config.model.conditional and not self.info.num_classes:
      raise ConfigError(f"model.conditional needs labels; {self.info.name!r} has none")
    if config.model.clusters and (config.model.conditional or config.model.clusters < 2):
      raise ConfigError(f"model.clusters conditions on clusters instead of labels: expected "
                        f"an int >= 2 and model.conditional=False, got {config.model.clusters} and "
                        f"{config.model.conditional}")
    if config.model.label_mixture and not config.model.conditional:
      raise ConfigError("model.label_mixture evaluates a class-conditional network as the mixture "
                        "over its labels; set model.conditional=True")
    if config.model.transform_weights not in TRANSFORM_WEIGHTS:
      raise ConfigError(f"model.transform_weights={config.model.transform_weights!r} is unknown; "
                        f"valid: {', '.join(TRANSFORM_WEIGHTS)}")
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

  def labels_of(self, batch: dict, x: jax.Array) -> Optional[jax.Array]:
    """The condition of each image x [B, H, W, C] in {0, 1}: its cluster under ``model.clusters``
    (``mixture.assign``), the batch's labels when conditional, else None."""
    if self.clustering is not None:
      return mixture.assign(x, self.clustering.points, self.clustering.clusters)
    return jnp.asarray(batch["label"]) if self.num_classes else None

  def log_prob(self, params, x: jax.Array, condition: Optional[jax.Array],
               dropout_rng: Optional[jax.Array] = None) -> jax.Array:
    """Exact ``log P(x | c)`` in nats of the network conditioned on ``condition`` [B] (None: none):
    x [B, H, W, C] on the level grid -> [B]. With ``dropout_rng`` the network runs in training mode
    (dropout on)."""
    train = dropout_rng is not None
    outputs = self.model.apply({"params": params}, x, condition, train,
                               rngs={"dropout": dropout_rng} if train else None)
    return jnp.sum(self.head.log_prob(outputs, x), axis=(1, 2))

  def objective(self, params, batch: dict, rng: Optional[jax.Array] = None,
                transform_log_weights: Optional[jax.Array] = None):
    """Per-example loss ``[B]`` and its terms ``{name: [B]}``. With ``rng`` (training): dropout on,
    and under ``model.dist_aug`` one transform per example, ``-log P(t(x) | t, c)``; without: the
    model's exact ``-log P(x)`` (under ``model.dist_aug`` the mixture over t, weighted by
    ``transform_log_weights`` [T] or uniform, and ``nll_identity``; for a mixture over conditions,
    ``model.label_mixture`` or ``model.clusters``, the mixture over c, which the batch's labels do
    not enter)."""
    x = batch[self.key]
    size = x.shape[0]
    augmented = len(self.transforms) > 1
    if rng is None:
      def given(labels):  # log P(x | labels) [B] and its identity term [B]
        return augment.mixture_log_prob(
            self.transforms, x,
            lambda x_t, t: self.log_prob(params, x_t, self.condition(labels, t, size)),
            transform_log_weights)

      if self.log_weights is None:
        log_prob, identity = given(self.labels_of(batch, x))
      else:  # the mixture over the conditions: the batch's own labels are not used
        per_condition = jax.lax.map(lambda c: given(jnp.full((size,), c, jnp.int32)),
                                    jnp.arange(self.num_classes))
        log_prob, identity = (mixture.log_mixture(v, self.log_weights) for v in per_condition)
      loss, terms = self.loss(log_prob, self.num_dims, self.num_levels)
      if augmented:
        _, identity_terms = self.loss(identity, self.num_dims, self.num_levels)
        terms = {**terms, **{f"{name}_identity": value for name, value in identity_terms.items()}}
      return loss, terms
    labels = self.labels_of(batch, x)
    index = 0
    if augmented:  # training: one transform per example
      rng, transform_rng = jax.random.split(rng)
      index = jax.random.randint(transform_rng, (size,), 0, len(self.transforms))
      x = augment.apply_each(self.transforms, x, index)
    return self.loss(self.log_prob(params, x, self.condition(labels, index, size), rng),
                     self.num_dims, self.num_levels)

  def fit_transform_weights(self, params) -> jax.Array:
    """log w [T]: the weights that maximize the train split's ``sum_n log sum_t w_t P(t(x_n) | t,
    c_n)``, each of the first ``FIT_IMAGES`` train images x_n with its own condition c_n (its
    cluster or label, as in training), by EM (``mixture.em_log_weights``) on the exact terms of the
    network ``params``."""
    chunks = jax.tree.map(lambda v: v.reshape(-1, FIT_CHUNK, *v.shape[1:]), self.fit_set)

    def terms(batch):  # log P(t(x) | t, c(x)) [T, FIT_CHUNK]
      x = batch[self.key]
      labels = self.labels_of(batch, x)
      return augment.transform_log_probs(
          self.transforms, x,
          lambda x_t, t: self.log_prob(params, x_t, self.condition(labels, t, FIT_CHUNK)))

    table = jnp.moveaxis(jax.lax.map(terms, chunks), 1, 2).reshape(-1, len(self.transforms))
    return mixture.em_log_weights(table, self.fit_set["mask"])

  def transform_log_weights(self, state: TrainState) -> Optional[jax.Array]:
    """The state's fitted log w [T] under ``model.transform_weights = "em"``; else None: uniform."""
    return state.model_state["transform_log_weights"] if self.fit_transforms else None

  def sample_labels(self, num: int) -> Optional[jax.Array]:
    """0, 1, ..., K-1, 0, ...: [num] (None when unconditional)."""
    return jnp.arange(num) % self.num_classes if self.num_classes else None

  def draw(self, params, canvas: jax.Array, condition, rng: jax.Array, first_row: int) -> jax.Array:
    """Rows >= first_row of canvas [B, H, W, C] drawn by ``sample.method`` given the network's
    ``condition`` [B] (or None)."""
    return self.sampler(self.model, params, self.head, canvas, condition, rng,
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
    labels = self.labels_of(example_batch, x)
    params = self.model.init(rng, x, self.condition(labels, 0, x.shape[0]))["params"]
    model_state = None
    if self.fit_transforms:  # uniform until the first fit
      num = len(self.transforms)
      model_state = {"transform_log_weights": jnp.full((num,), -math.log(num), jnp.float32)}
    return init_train_state(params, self.optimizer, self.config.train.ema_decay, model_state)

  def train_step(self, state: TrainState, batch: dict, rng: jax.Array):
    def mean_loss(params):
      total, terms = self.objective(params, batch, rng)
      return jnp.mean(total), {name: jnp.mean(value) for name, value in terms.items()}

    (loss, terms), grads = jax.value_and_grad(mean_loss, has_aux=True)(state.params)
    state, norms = apply_gradients(state, grads, self.optimizer, self.config.train.ema_decay)
    if self.fit_transforms:  # refit w for the new params whenever the runner evaluates or saves
      c, step = self.config, state.step
      due = ((step % c.eval_every == 0) | (step % c.checkpoint_every == 0)
             | (step == c.train.num_steps))
      state = jax.lax.cond(due, lambda s: s.replace(model_state={
          "transform_log_weights": self.fit_transform_weights(s.eval_params)}), lambda s: s, state)
    return state, {"loss": loss, **terms, **norms}

  def eval_step(self, state: TrainState, batch: dict, rng: jax.Array) -> Dict[str, jax.Array]:
    """Per-example ``loss``, ``nll`` (nats) and, above 2 levels, ``bits_per_dim``."""
    loss, terms = self.objective(state.eval_params, batch,
                                 transform_log_weights=self.transform_log_weights(state))
    return {"loss": loss, **terms}

  def sample(self, state: TrainState, rng: jax.Array, num: int) -> jax.Array:
    """``num`` images in data space, [num, H, W, C]. Under ``model.dist_aug``: from the mixture,
    t ~ w (uniform, or the state's fitted weights), y ~ P(. | t), x = t^-1(y)."""
    canvas = jnp.zeros((num, *self.shape), jnp.float32)
    augmented, index = len(self.transforms) > 1, 0
    if augmented:
      transform_rng, rng = jax.random.split(rng)
      if self.fit_transforms:
        index = jax.random.categorical(transform_rng, self.transform_log_weights(state),
                                       shape=(num,))
      else:
        index = jax.random.randint(transform_rng, (num,), 0, len(self.transforms))
    labels = self.sample_labels(num)
    if self.log_weights is not None:  # a mixture: c ~ pi
      label_rng, rng = jax.random.split(rng)
      labels = jax.random.categorical(label_rng, self.log_weights, shape=(num,))
    drawn = self.draw(state.eval_params, canvas, self.condition(labels, index, num), rng, 0)
    return augment.invert_each(self.transforms, drawn, index) if augmented else drawn

  def sample_grid(self, state: TrainState, rng: jax.Array) -> tuple[jax.Array, int]:
    """Rows of samples (``eval.num_samples`` rounded down to whole rows; conditional: column k is
    class k), then held-out images, their top halves, and completions of their bottom halves."""
    sample_key, complete_key = jax.random.split(rng)
    originals = self.held_out
    top_halves = originals.at[:, self.shape[0] // 2:].set(0.0)
    completions = [self._complete(state.eval_params, originals, self.held_out_labels,
                                  jax.random.fold_in(complete_key, n))
                   for n in range(GRID_COMPLETIONS)]
    num_samples = max(self.config.eval.num_samples // GRID_COLUMNS, 1) * GRID_COLUMNS
    rows = [self._sample(state, sample_key, num_samples), originals, top_halves, *completions]
    return jnp.concatenate(rows), GRID_COLUMNS

  def evaluate(self, state: TrainState, eval_batches: Callable[[], Iterator[dict]],
               rng: jax.Array) -> Dict[str, float]:
    """Test ``nll`` (nats per example) and, above 2 levels, ``bits_per_dim``; with
    ``eval.fid_extractor`` the sample metrics of ``jaxgen.eval.samples.image_sample_metrics``
    (FID, KID, precision/recall, class coverage; ``label_accuracy`` when conditional)."""
    eval_step = jax.jit(self.eval_step)
    pass_key, sample_key = jax.random.split(rng)
    values = eval_samples.per_example(lambda batch, key: eval_step(state, batch, key),
                                      eval_batches(), pass_key)
    metrics = {name: float(np.mean(value)) for name, value in values.items()}
    metrics["num_test_examples"] = len(values["nll"])
    if self.config.eval.fid_extractor:
      metrics.update(self.image_metrics(state, sample_key))
    return metrics

  def image_metrics(self, state: TrainState, rng: jax.Array) -> Dict[str, float]:
    """``image_sample_metrics`` of ``eval.num_image_samples`` samples, drawn ``eval.batch_size`` at
    a time, against the train split in the features of ``eval.fid_extractor``."""
    e = self.config.eval
    chunk = min(e.batch_size, e.num_image_samples)
    samples = eval_samples.draw(lambda key, n: self._sample(state, key, n), rng,
                                e.num_image_samples, chunk)
    labels = None
    if self.num_classes and self.log_weights is None:
      labels = np.tile(np.asarray(self.sample_labels(chunk)), math.ceil(len(samples) / chunk))
      labels = labels[:len(samples)]
    low, high = value_range(self.config)
    images = np.clip((samples - low) / (high - low), 0.0, 1.0)
    return eval_samples.image_sample_metrics(images, self.config.data.name, e.fid_extractor, labels)


def make_experiment(config: ml_collections.ConfigDict) -> PixelCNNExperiment:
  return PixelCNNExperiment(config)
