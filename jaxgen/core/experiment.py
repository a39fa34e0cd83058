"""The Experiment protocol: what a family provides so the one runner can train it.

Every function is pure: its outputs depend only on its arguments (the step's rng is
``jax.random.fold_in(run_key, step)``, made by the runner). The runner jits ``init``,
``train_step``, ``eval_step`` and ``sample`` with explicit shardings.
"""

from typing import Any, Callable, Dict, Iterator, Optional, Protocol

import flax
import jax
import jax.numpy as jnp
import optax

PyTree = Any
Metrics = Dict[str, jax.Array]


@flax.struct.dataclass
class TrainState:
  """Everything that changes during training, and nothing else (so it checkpoints whole).

  ``params`` and ``opt_state`` may be dicts of several parts (a GAN keeps
  ``{"generator": ..., "discriminator": ...}``); ``ema_params`` is None when EMA is off;
  ``model_state`` holds non-gradient state such as batch statistics or actnorm init flags.
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


class Experiment(Protocol):
  """A family's pure functions; see DESIGN.md. Shapes: batch values are ``[B, ...]``."""

  def init(self, rng: jax.Array, example_batch: dict) -> TrainState:
    ...

  def train_step(self, state: TrainState, batch: dict, rng: jax.Array) -> tuple[TrainState, Metrics]:
    """One update; metrics are scalars and include ``loss``, every loss term, grad/param norms."""
    ...

  def eval_step(self, state: TrainState, batch: dict, rng: jax.Array) -> Metrics:
    """Per-example metrics ``[B]``; the runner averages them over the split using ``batch["mask"]``."""
    ...

  def sample(self, state: TrainState, rng: jax.Array, num: int) -> jax.Array:
    """``num`` samples in data space (the dataset's range and shape)."""
    ...

  def evaluate(self, state: TrainState, eval_batches: Callable[[], Iterator[dict]],
               rng: jax.Array) -> Dict[str, float]:
    """The family's metrics (names fixed in its issue), computed through ``jaxgen.eval``.

    ``eval_batches()`` starts a fresh pass over the test split (sharded, with ``mask``).
    """
    ...


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


def apply_gradients(state: TrainState, grads: PyTree, optimizer: optax.GradientTransformation,
                    ema_decay: float, **changes) -> tuple[TrainState, Metrics]:
  """The optimizer update + EMA + step count shared by single-network families.

  Returns the new state and the norms every family logs.
  """
  updates, opt_state = optimizer.update(grads, state.opt_state, state.params)
  params = optax.apply_updates(state.params, updates)
  new_state = state.replace(
      step=state.step + 1,
      params=params,
      opt_state=opt_state,
      ema_params=ema_update(state.ema_params, params, ema_decay),
      **changes)
  norms = {"grad_norm": optax.tree.norm(grads), "param_norm": optax.tree.norm(params)}
  return new_state, norms


def masked_mean(values: jax.Array, mask: jax.Array) -> jax.Array:
  return jnp.sum(values * mask) / jnp.maximum(jnp.sum(mask), 1.0)
