"""jaxgen's side of every workload: the user's experiment config, run through the one runner.

``build_run`` loads ``experiments/NAME.py`` with ``load_config``, applies the benchmark's
overrides, turns the persistent compilation cache on as ``jaxgen train`` does and builds
``jaxgen.core.runner.Run``: the same ``jax.jit(train_step, in_shardings, out_shardings,
donate_argnums=(0,))`` that ``jaxgen train`` uses, so what is timed is exactly what users train.
The overrides in ``SAME_OPTIMIZER`` make the optimizer plain Adam at a constant learning rate
(no warm-up, clipping or EMA), as on the peers' side.

Batches are synthetic arrays of the dataset's shape, placed on the device once before timing:
both sides time the training step, not the input pipeline.
"""

import os
import time
from typing import Callable, Optional, Sequence

import jax
import numpy as np

from benchmarks import common
from jaxgen.core import compilation_cache, runner, sharding
from jaxgen.core import config as config_lib

SAME_OPTIMIZER = ("optimizer.schedule=constant", "optimizer.warmup_steps=0",
                  "optimizer.grad_clip_norm=0.0", "optimizer.weight_decay=0.0", "train.ema_decay=0.0")
NUM_BATCHES = 4  # distinct synthetic batches cycled through, so no step sees a constant input


def build_run(experiment: str, overrides: Sequence[str]) -> runner.Run:
  """The runner's ``Run`` for ``experiments/<experiment>.py`` with ``SAME_OPTIMIZER`` + ``overrides``."""
  config = config_lib.load_config(os.path.join(common.REPO, "experiments", f"{experiment}.py"))
  extra = list(SAME_OPTIMIZER)
  if "d_optimizer" in config:
    extra += [o.replace("optimizer.", "d_optimizer.", 1) for o in SAME_OPTIMIZER
              if o.startswith("optimizer.")]
  config_lib.apply_overrides(config, extra + list(overrides))
  compilation_cache.enable()  # as jaxgen train does; run_side turns it off unless told a directory
  return runner.Run(config)


def synthetic_batches(run: runner.Run, make: Callable[[np.random.Generator, tuple], np.ndarray],
                      shape: Optional[tuple] = None) -> list:
  """``NUM_BATCHES`` batches ``{key: make(rng, [B, *shape])}`` sharded as the runner shards them
  (``shape``: the dataset's example shape unless given, e.g. another image size)."""
  rng = np.random.default_rng(0)
  shape = (run.config.train.batch_size, *(shape or run.info.shape))
  placement = sharding.batch_sharded(run.mesh)
  return [jax.device_put({run.info.key: make(rng, shape).astype(np.float32)}, placement)
          for _ in range(NUM_BATCHES)]


def count_params(params) -> int:
  return sum(int(np.prod(leaf.shape)) for leaf in jax.tree.leaves(params))


def train(run: runner.Run, batches: list, quick: bool,
          counts: Optional[tuple[int, int]] = None) -> tuple[dict, object]:
  """Times ``run.train_step_fn`` (state donated, each step synchronised) -> (result, final state).

  ``counts`` (warm-up, timed steps) defaults to ``common.step_counts(quick)``, timed for at least
  ``common.min_timed_seconds(quick)`` (explicit ``counts`` are taken as they are). ``compiles``
  is the jitted step's cache size after every timed step: 1 means the first step's compilation
  was the only one.
  """
  init_key, run_key = jax.random.split(jax.random.PRNGKey(0))
  state = run.init_fn(init_key, batches[0])
  step = 0

  def call():
    nonlocal state, step
    state, metrics = run.train_step_fn(state, batches[step % len(batches)],
                                       jax.random.fold_in(run_key, step))
    step += 1
    return metrics

  warmup, repeats = counts or common.step_counts(quick)
  times, first_done = common.time_calls(call, jax.block_until_ready, warmup, repeats,
                                       0.0 if counts else common.min_timed_seconds(quick))
  params = count_params(state.params)
  result = common.training_result(params, run.config.train.batch_size, times, first_done,
                                  compiles=run.train_step_fn._cache_size(),
                                  config=run.config.description)
  return result, state


def train_and_sample(run: runner.Run, make: Callable, quick: bool, num: int, name: str) -> dict:
  """``train``'s result on synthetic batches of ``make``, with the family's ``sample`` of ``num``
  timed after it as ``sampling_s[name]`` / ``sampling_compile_s`` (the median of 10 runs: 3 gave
  ratios from 0.6 to 1.7 for 1,000 points in ~10 ms)."""
  result, state = train(run, synthetic_batches(run, make), quick)
  sampling = time_sampler(sample_fn(run, num), state, jax.random.PRNGKey(1), repeats=10)
  result["sampling_s"] = {name: sampling["seconds"]}
  result["sampling_compile_s"] = {name: sampling["compile_s"]}
  return result


def time_sampler(function: Callable, *args, repeats: int = 1) -> dict:
  """Compiles ``jax.jit(function)`` ahead of time, then times ``repeats`` synchronised runs.

  -> {"compile_s": compile time, "seconds": median run time, "runs": repeats}.
  """
  start = time.perf_counter()
  compiled = jax.jit(function).lower(*args).compile()
  compile_s = time.perf_counter() - start
  times = []
  for _ in range(repeats):
    start = time.perf_counter()
    jax.block_until_ready(compiled(*args))
    times.append(time.perf_counter() - start)
  return {"compile_s": compile_s, "seconds": float(np.median(times)), "runs": repeats}


def sample_fn(run: runner.Run, num: int) -> Callable:
  """``(state, rng) -> samples``: the family's ``sample`` with ``num`` fixed (it sets shapes)."""
  return lambda state, rng: run.experiment.sample(state, rng, num)
