"""The Experiment protocol (v2): what a family provides so the one runner can train it.

A family's ``experiment.py`` builds an object of pure functions; the runner compiles every one of
them (train, eval, per-example, sample, grid) with explicit shardings, so no family calls
``jax.jit``. Every function is pure: its outputs depend only on its arguments (the step's rng is
``jax.random.fold_in(run_key, step)``, made by the runner).

Required of every family: ``init``, ``eval_step``, ``sample``, ``evaluate``, and either ``loss``
(a single network trained by one gradient step of one loss: the core's generic ``train_step``
below does the rest) or its own ``train_step`` (the GAN: two players, n_critic, TTUR). The other
hooks are optional: ``Experiment`` gives each a default, so a family subclasses it and overrides
what it has.
"""

from typing import Any, Callable, Dict, Optional, Tuple

import flax
import jax
import jax.numpy as jnp
import ml_collections
import numpy as np
import optax

from jaxgen import data as data_lib
from jaxgen.errors import ConfigError

PyTree = Any
Metrics = Dict[str, jax.Array]
# examples(split, num) -> the first num examples of split in stored order, preprocessed as the
# config says, as host arrays {"image" or "point": [n, ...], "label": [n] where there are labels}.
Examples = Callable[[str, int], Dict[str, np.ndarray]]
# sampler(rng, num, **options) -> num samples on the host: the runner's compiled ``sample``
# (options are static keyword arguments of ``sample``), drawn eval.batch_size at a time.
Sampler = Callable[..., np.ndarray]


@flax.struct.dataclass
class TrainState:
  """Everything that changes during training, and nothing else (so it checkpoints whole).

  ``params`` and ``opt_state`` may be dicts of several parts (a GAN keeps
  ``{"generator": ..., "discriminator": ...}``); ``ema_params`` is None when EMA is off;
  ``model_state`` holds non-gradient state such as actnorm's data-dependent initialisation.
  """
  step: jax.Array
  params: PyTree
  opt_state: PyTree
  ema_params: Optional[PyTree] = None
  model_state: PyTree = flax.struct.field(default_factory=dict)

  @property
  def eval_params(self) -> PyTree:
    """EMA params when EMA is on, else the live params: what evaluation and sampling use."""
    return self.params if self.ema_params is None else self.ema_params


class Experiment:
  """A family's pure functions. Shapes: batch values are ``[B, ...]``.

  The constructor keeps ``config``, the dataset's ``info`` and the batch ``key`` of its examples
  (``image`` or ``point``). Attributes a family sets: ``optimizer`` (families trained through
  ``loss``); ``grid_columns`` (columns of ``sample_grid``'s image grid, None: as many as fit);
  ``compute_dtypes`` (the ``train.compute_dtype`` names it supports, jaxgen/core/precision.py).
  The runner sets ``eval_split``, the split that ``prepare``'s held-out examples, the eval pass
  and ``evaluate`` use: ``validation`` while training, ``test`` (or ``--split``) in ``jaxgen eval``.
  ``uses_unlabelled``: the family trains on batches whose unlabelled rows carry label -1
  (``data.unlabelled="keep"``: semi-supervised guidance, M1+M2). ``draws_samples`` is False for
  a model that generates nothing (the augmentation study's classifier): it has no ``sample``.
  """
  optimizer: optax.GradientTransformation
  grid_columns: Optional[int] = None
  compute_dtypes: Tuple[str, ...] = ("float32",)
  eval_split: str = "validation"
  anomaly_score_is_nll: bool = False
  uses_unlabelled: bool = False
  draws_samples: bool = True
  num_classes: Optional[int] = None  # a class-conditional family's classes (sample_labels)

  def __init__(self, config: ml_collections.ConfigDict):
    self.config = config
    self.info: data_lib.DatasetInfo = data_lib.dataset_info(config.data.name)
    self.key: str = self.info.key

  # -- required ---------------------------------------------------------------------------------

  def init(self, rng: jax.Array, example_batch: dict) -> TrainState:
    raise NotImplementedError

  def eval_step(self, state: TrainState, batch: dict, rng: jax.Array) -> Metrics:
    """Per-example metrics ``{name: [B]}`` of every periodic evaluation; the runner averages them
    over the split (the padding that ``batch["mask"]`` marks left out)."""
    raise NotImplementedError

  def sample(self, state: TrainState, rng: jax.Array, num: int, **options) -> jax.Array:
    """``num`` samples in data space (the dataset's range and shape); ``options`` are static."""
    raise NotImplementedError

  def evaluate(self, state: TrainState, results: Dict[str, np.ndarray], sampler: Sampler,
               rng: jax.Array) -> Dict[str, float]:
    """The family's metrics for ``eval.json``, computed through ``jaxgen.eval``.

    ``results``: ``evaluate_step``'s per-example values over the whole test split, from the
    runner's one pass ({name: float64 [N, ...]}, with ``label`` where the data have labels);
    ``sampler``: the runner's compiled ``sample``. Never runs a pass of its own.
    """
    raise NotImplementedError

  # -- one of the two ---------------------------------------------------------------------------

  def loss(self, params: PyTree, model_state: PyTree, batch: dict, rng: jax.Array,
           step: jax.Array) -> Tuple[jax.Array, Metrics]:
    """-> (per-example loss [B], aux {name: [B] or scalar}): what one gradient step minimizes."""
    raise NotImplementedError(f"{type(self).__name__} provides neither loss nor train_step")

  def train_step(self, state: TrainState, batch: dict, rng: jax.Array) -> Tuple[TrainState, Metrics]:
    """One update; metrics are scalars and include ``loss``. The default is the generic step on
    ``loss``: value-and-grad of its batch mean, ``optimizer``, EMA and the norms."""
    return loss_train_step(self.loss, self.optimizer, self.config.train.ema_decay, state, batch, rng)

  # -- optional ---------------------------------------------------------------------------------

  def evaluate_step(self, state: TrainState, batch: dict, rng: jax.Array) -> Metrics:
    """Per-example values ``{name: [B, ...]}`` of ``jaxgen eval``'s pass, which ``evaluate``
    receives; a family whose final evaluation needs more than the periodic one (the VAE's IWAE
    bound) overrides it."""
    return self.eval_step(state, batch, rng)

  def sample_labels(self, num: int) -> Optional[jax.Array]:
    """The conditioning labels of ``sample(state, rng, num)``: 0, 1, ..., K-1, 0, ... [num] for a
    class-conditional family (``num_classes`` set), None otherwise."""
    return jnp.arange(num) % self.num_classes if self.num_classes else None

  def prepare(self, examples: Examples) -> None:
    """Data-dependent set-up (held-out images for grids, a baseline fit on the train split),
    called once by the runner before anything is compiled."""

  def sample_grid(self, state: TrainState, rng: jax.Array) -> jax.Array:
    """What the sample grid at each evaluation shows: ``eval.num_samples`` samples by default;
    families without a prior (autoencoders) show what they do instead."""
    return self.sample(state, rng, self.config.eval.num_samples)

  def grid_rows(self) -> Tuple[Tuple[str, int], ...]:
    """The captions of ``sample_grid``'s row blocks, top to bottom: ``(caption, rows)`` with
    rows of ``grid_columns`` images each. The default: one block of samples."""
    return (("samples", 0),)  # 0: every row

  def report(self, metrics: Dict[str, float], workdir: str) -> None:
    """Tables and plots written next to ``eval.json`` by ``jaxgen eval``."""

  def anomaly_score(self, results: Dict[str, np.ndarray]) -> Optional[np.ndarray]:
    """[N] anomaly scores (higher: more anomalous) of ``evaluate``'s ``results``, which the
    runner turns into ``anomaly_auroc`` when training excluded labels (``data.exclude_labels``;
    ``jaxgen.core.evaluation.anomaly_metrics``). None: the family scores no anomalies. A family
    whose score is a negative log-likelihood in nats (or a bound on one) sets
    ``anomaly_score_is_nll``, and images also get the complexity-corrected AUROC."""
    return None


def init_train_state(params: PyTree, optimizer: optax.GradientTransformation, ema_decay: float,
                     model_state: PyTree = None) -> TrainState:
  return TrainState(
      step=jnp.zeros((), jnp.int32),
      params=params,
      opt_state=optimizer.init(params),
      ema_params=params if ema_decay > 0 else None,
      model_state={} if model_state is None else model_state)


def ema_update(ema_params: Optional[PyTree], params: PyTree, decay: float) -> Optional[PyTree]:
  """``ema <- decay * ema + (1 - decay) * params`` (None stays None: EMA off)."""
  if ema_params is None:
    return None
  return jax.tree.map(lambda e, p: decay * e + (1.0 - decay) * p, ema_params, params)


def optimizer_step(optimizer: optax.GradientTransformation, grads: PyTree, opt_state: PyTree,
                   params: PyTree) -> tuple[PyTree, PyTree]:
  """One update of ``params`` by ``optimizer``: -> (params, opt_state). Families with several
  networks (GANs) take one per network."""
  updates, opt_state = optimizer.update(grads, opt_state, params)
  return optax.apply_updates(params, updates), opt_state


def apply_gradients(state: TrainState, grads: PyTree, optimizer: optax.GradientTransformation,
                    ema_decay: float) -> tuple[TrainState, Metrics]:
  """The optimizer update + EMA + step count; returns the new state and the norms."""
  params, opt_state = optimizer_step(optimizer, grads, state.opt_state, state.params)
  new_state = state.replace(
      step=state.step + 1,
      params=params,
      opt_state=opt_state,
      ema_params=ema_update(state.ema_params, params, ema_decay))
  norms = {"grad_norm": optax.tree.norm(grads), "param_norm": optax.tree.norm(params)}
  return new_state, norms


def loss_train_step(loss: Callable, optimizer: optax.GradientTransformation, ema_decay: float,
                    state: TrainState, batch: dict, rng: jax.Array) -> Tuple[TrainState, Metrics]:
  """The generic step: minimizes the batch mean of ``loss``'s per-example values; the metrics are
  ``loss``, the batch means of its aux terms, and ``grad_norm`` / ``param_norm``."""

  batch_size = len(jax.tree.leaves(batch)[0])

  def mean_loss(params):
    total, aux = loss(params, state.model_state, batch, rng, state.step)
    if jnp.shape(total) != (batch_size,):  # Checked while tracing: the first step says so.
      raise ConfigError(f"loss must return per-example values of shape ({batch_size},) and a "
                        f"dict of aux values; got shape {jnp.shape(total)} (return the terms "
                        "before the batch mean)")
    return jnp.mean(total), {name: jnp.mean(value) for name, value in aux.items()}

  (mean, aux), grads = jax.value_and_grad(mean_loss, has_aux=True)(state.params)
  state, norms = apply_gradients(state, grads, optimizer, ema_decay)
  return state, {"loss": mean, **aux, **norms}


def skipping_nonfinite(train_step: Callable) -> Callable:
  """Wraps a train step so that an update with any non-finite metric is not applied.

  The step count still advances (the data position and the run key stay in step); the
  metrics of a skipped update read 0 and ``skipped_updates`` is 1.
  """

  def step(state: TrainState, batch: dict, rng: jax.Array):
    new_state, metrics = train_step(state, batch, rng)
    finite = jnp.all(jnp.stack([jnp.all(jnp.isfinite(v)) for v in jax.tree.leaves(metrics)]))
    kept = jax.tree.map(lambda new, old: jnp.where(finite, new, old), new_state, state)
    metrics = {name: jnp.where(finite, value, 0.0) for name, value in metrics.items()}
    metrics["skipped_updates"] = 1.0 - finite.astype(jnp.float32)
    return kept.replace(step=new_state.step), metrics

  return step
