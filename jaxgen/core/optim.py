"""optax optimizers and learning-rate schedules built from ``config.optimizer``."""

import ml_collections
import optax

from jaxgen.registry import Registry
from jaxgen.errors import ConfigError

SCHEDULES = ("constant", "cosine", "linear")
OPTIMIZERS = Registry("optimizer")


@OPTIMIZERS.register("adam")
def _adam(lr, c):
  return optax.adam(lr, b1=c.b1, b2=c.b2, eps=c.eps)


@OPTIMIZERS.register("adamw")
def _adamw(lr, c):
  return optax.adamw(lr, b1=c.b1, b2=c.b2, eps=c.eps, weight_decay=c.weight_decay)


@OPTIMIZERS.register("sgd")
def _sgd(lr, c):
  return optax.sgd(lr, momentum=c.get("momentum", 0.0) or None)


@OPTIMIZERS.register("rmsprop")
def _rmsprop(lr, c):
  return optax.rmsprop(lr, eps=c.eps)


def learning_rate_schedule(c: ml_collections.ConfigDict, num_steps: int) -> optax.Schedule:
  """Linear warm-up to ``learning_rate``, then constant, cosine or linear decay to the end."""
  if c.schedule not in SCHEDULES:
    raise ConfigError(f"optimizer.schedule {c.schedule!r} is unknown; valid: {', '.join(SCHEDULES)}")
  if c.learning_rate <= 0:
    raise ConfigError(f"optimizer.learning_rate must be > 0, got {c.learning_rate}")
  warmup = int(c.warmup_steps)
  decay_steps = max(num_steps - warmup, 1)
  final = c.learning_rate * c.final_lr_factor
  if c.schedule == "constant":
    after = optax.constant_schedule(c.learning_rate)
  elif c.schedule == "cosine":
    after = optax.cosine_decay_schedule(c.learning_rate, decay_steps, alpha=c.final_lr_factor)
  else:
    after = optax.linear_schedule(c.learning_rate, final, decay_steps)
  if warmup <= 0:
    return after
  return optax.join_schedules([optax.linear_schedule(0.0, c.learning_rate, warmup), after], [warmup])


def make_optimizer(c: ml_collections.ConfigDict, num_steps: int) -> optax.GradientTransformation:
  """The optimizer of ``c`` (a ``config.optimizer``-shaped group), with clipping and decay.

  Weight decay is decoupled (AdamW) for ``adamw``; for other optimizers a non-zero
  ``weight_decay`` adds ``optax.add_decayed_weights`` before the update (L2 on the update).
  """
  schedule = learning_rate_schedule(c, num_steps)
  chain = []
  if c.grad_clip_norm > 0:
    chain.append(optax.clip_by_global_norm(c.grad_clip_norm))
  if c.weight_decay > 0 and c.name != "adamw":
    chain.append(optax.add_decayed_weights(c.weight_decay))
  chain.append(OPTIMIZERS.get(c.name)(schedule, c))
  return optax.chain(*chain)


def staged_optimizer(c: ml_collections.ConfigDict, first_steps: int, num_steps: int,
                     stages: tuple[str, str]) -> optax.GradientTransformation:
  """``c``'s optimizer for the parameters under ``stages[0]`` (a top-level key of the params)
  during the first ``first_steps`` updates and for those under ``stages[1]`` after them, each
  with its own state and schedule (its warm-up and decay span its own stage): two-stage models
  trained in one run (M1+M2, a VQ-VAE and its prior). Outside its stage a part's updates are 0
  and its state waits: without the mask Adam's momentum would keep moving the frozen part. The
  stages switch after ``first_steps`` applied updates: an update that ``train.skip_nonfinite``
  skips delays the switch by one step."""
  first, second = stages
  parts = {first: optax.transforms.conditionally_mask(make_optimizer(c, first_steps),
                                                      lambda count: count < first_steps),
           second: optax.transforms.conditionally_mask(make_optimizer(c, num_steps - first_steps),
                                                       lambda count: count >= first_steps)}
  return optax.multi_transform(parts, {first: first, second: second})
