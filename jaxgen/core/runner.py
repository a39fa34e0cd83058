"""The one training runner: train, evaluate and sample any family's Experiment.

``train(config, workdir)`` jits the family's pure ``train_step`` over a ``data`` mesh (batch
sharded, state replicated and donated), checkpoints with orbax, resumes exactly (state, data
position, run key), logs metrics/TensorBoard/sample grids, evaluates periodically, stops early
on an eval metric, and saves on SIGTERM/SIGINT before exiting.
"""

import contextlib
import json
import math
import os
import signal
import sys
import threading
import time
from typing import Any, Dict, Iterator, Optional, Sequence

import jax
import jax.numpy as jnp
import ml_collections
import numpy as np
import tqdm
from flax import traverse_util

import jaxgen
from jaxgen import data as data_lib
from jaxgen import families
from jaxgen.core import checkpoint as checkpoint_lib
from jaxgen.core import config as config_lib
from jaxgen.core import logging as logging_lib
from jaxgen.core import precision
from jaxgen.core import sharding
from jaxgen.core.experiment import Experiment, TrainState
from jaxgen.errors import CheckpointError, ConfigError, NonFiniteError
from jaxgen.eval import samples as eval_samples

CONFIG_FILE = "config.json"
EVAL_FILE = "eval.json"
VERSION_FILE = "jaxgen.json"
# Bumped when what a workdir holds changes incompatibly; a reader accepts formats <= its own.
WORKDIR_FORMAT = 1


def data_options(config: ml_collections.ConfigDict) -> dict:
  """The preprocessing options of ``config.data`` that ``jaxgen.data.load`` takes."""
  c = config.data
  return dict(scale=c.scale, dequantize=c.dequantize, binarize=c.binarize)


def value_range(config: ml_collections.ConfigDict) -> tuple[float, float]:
  return (-1.0, 1.0) if config.data.scale == "-1_1" else (0.0, 1.0)


def skipping_nonfinite(train_step):
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


class Run:
  """What train/evaluate/sample share: the mesh, the experiment, the jitted functions."""

  def __init__(self, config: ml_collections.ConfigDict):
    self.config = config_lib.validate(config)
    self.mesh = sharding.make_mesh()
    sharding.check_batch_size(config.train.batch_size, self.mesh)
    sharding.check_batch_size(config.eval.batch_size, self.mesh, "eval.batch_size")
    self.info = data_lib.dataset_info(config.data.name)
    self.experiment: Experiment = families.make_experiment(config)
    precision.check(config, self.experiment)
    replicated = sharding.replicated(self.mesh)
    batch = sharding.batch_sharded(self.mesh)
    self.init_fn = jax.jit(self.experiment.init, out_shardings=replicated)
    train_step = self.experiment.train_step
    if config.train.skip_nonfinite:
      train_step = skipping_nonfinite(train_step)
    self.train_step_fn = jax.jit(
        train_step,
        in_shardings=(replicated, batch, replicated),
        out_shardings=(replicated, replicated),
        donate_argnums=(0,))
    self.eval_step_fn = jax.jit(self.experiment.eval_step,
                                in_shardings=(replicated, batch, replicated))
    self.sample_fn = jax.jit(self.experiment.sample, static_argnums=(2,))
    self._eval_iterator = None

  def train_iterator(self):
    c = self.config
    return data_lib.load(c.data.name, "train", c.train.batch_size, seed=c.seed,
                         exclude_labels=tuple(c.data.exclude_labels), **data_options(c))

  def eval_batches(self) -> Iterator[dict]:
    """A fresh sharded pass over the test split (every label; padded batches carry ``mask``).

    The split is read once per Run; each pass rewinds the same iterator.
    """
    c = self.config
    if self._eval_iterator is None:
      self._eval_iterator = data_lib.load(c.data.name, "test", c.eval.batch_size, seed=c.seed,
                                          shuffle=False, repeat=False, **data_options(c))
    self._eval_iterator.set_state({"batches": 0})
    return sharding.sharded_iterator(self._eval_iterator, self.mesh)

  def initial_state(self, init_key: jax.Array) -> TrainState:
    example = next(iter(self.eval_batches()))
    return self.init_fn(init_key, example)

  def eval_pass(self, state: TrainState, rng: jax.Array) -> Dict[str, float]:
    """Means of ``eval_step``'s per-example metrics over the whole test split (float64, on the
    host; the padding of the last batch left out)."""
    values = eval_samples.per_example(lambda batch, key: self.eval_step_fn(state, batch, key),
                                      self.eval_batches(), rng)
    for name, column in values.items():
      if column.ndim != 1:
        raise ValueError(f"eval_step metric {name!r} has shape {column.shape[1:]} per example; "
                         "expected one value per example")
    return {name: float(np.mean(column)) for name, column in values.items()}

  def samples(self, state: TrainState, rng: jax.Array, num: int) -> np.ndarray:
    """``num`` samples, drawn in chunks of at most ``eval.batch_size`` (one compile per size)."""
    chunk = self.config.eval.batch_size
    parts = []
    for i, start in enumerate(range(0, num, chunk)):
      parts.append(sharding.to_host(self.sample_fn(state, jax.random.fold_in(rng, i),
                                                   min(chunk, num - start))))
    return np.concatenate(parts)

  def save_sample_grid(self, state: TrainState, rng: jax.Array, path: str) -> None:
    grid = getattr(self.experiment, "sample_grid", None)
    if grid is not None:  # Families without a prior (autoencoders) show what they do instead.
      images, ncol = grid(state, rng)
      images = sharding.to_host(images)
    else:
      images, ncol = self.samples(state, rng, self.config.eval.num_samples), None
    if not sharding.is_main_process():
      return
    if self.info.kind == "image":
      logging_lib.save_image_grid(images, path, value_range(self.config), ncol)
    else:
      reference = next(data_lib.load(self.config.data.name, "test", 2000, shuffle=False,
                                     repeat=False))[self.info.key]
      logging_lib.save_scatter(images, path, reference)


class _IntervalMetrics:
  """Sums step metrics on the device between two logs; means exclude skipped updates."""

  def __init__(self):
    self.sums, self.steps = None, 0

  def add(self, metrics: Dict[str, jax.Array]) -> None:
    self.sums = metrics if self.sums is None else jax.tree.map(jnp.add, self.sums, metrics)
    self.steps += 1

  def means(self) -> Dict[str, float]:
    sums = {name: float(value) for name, value in jax.device_get(self.sums).items()}
    skipped = sums.pop("skipped_updates", None)
    applied = max(self.steps - (skipped or 0.0), 1.0)
    means = {name: value / applied for name, value in sums.items()}
    if skipped is not None:
      means["skipped_updates"] = skipped
    return means


def check_workdir_version(workdir: str) -> None:
  """Rejects a workdir written by a jaxgen whose workdir format this one cannot read."""
  path = os.path.join(workdir, VERSION_FILE)
  if not os.path.exists(path):
    return
  with open(path) as f:
    written = json.load(f)
  if written.get("workdir_format", 0) > WORKDIR_FORMAT:
    raise CheckpointError(
        f"{workdir!r} was written by jaxgen {written.get('jaxgen_version')} (workdir format "
        f"{written.get('workdir_format')}); this is jaxgen {jaxgen.__version__}, which reads "
        f"formats up to {WORKDIR_FORMAT}: upgrade jaxgen to use it")


def _write_workdir_files(workdir: str, config: ml_collections.ConfigDict) -> None:
  """Writes ``config.json`` and the format version. A workdir resumed under a different config
  keeps the config it ran under before as ``config.replaced.<k>.json`` (k = 1, 2, ...) and says
  which fields changed, so a run's record never loses the hyper-parameters of its earlier steps."""
  path, text = os.path.join(workdir, CONFIG_FILE), config_lib.to_json(config)
  if os.path.exists(path):
    with open(path) as f:
      previous = f.read()
    if previous != text:
      k = 1
      while os.path.exists(os.path.join(workdir, f"config.replaced.{k}.json")):
        k += 1
      kept = os.path.join(workdir, f"config.replaced.{k}.json")
      os.replace(path, kept)
      old, new = (traverse_util.flatten_dict(json.loads(t), sep=".") for t in (previous, text))
      changed = sorted(key for key in old.keys() | new.keys() if old.get(key) != new.get(key))
      print(f"{workdir}: the config differs from the one this workdir ran under "
            f"({', '.join(changed[:8])}{', ...' if len(changed) > 8 else ''}); "
            f"the earlier one is kept as {kept}")
  with open(path, "w") as f:
    f.write(text)
  with open(os.path.join(workdir, VERSION_FILE), "w") as f:
    json.dump({"jaxgen_version": jaxgen.__version__, "workdir_format": WORKDIR_FORMAT}, f)


def _run_keys(seed: int) -> tuple[jax.Array, jax.Array]:
  init_key, train_key = jax.random.split(jax.random.PRNGKey(seed))
  return init_key, train_key


def _check_finite(step: int, metrics: Dict[str, Any], last_checkpoint: Optional[int]) -> Dict[str, float]:
  values = {name: float(value) for name, value in jax.device_get(metrics).items()}
  for name, value in values.items():
    if not math.isfinite(value):
      raise NonFiniteError(
          f"non-finite {name}={value} at step {step}; stopped. The last good checkpoint is "
          f"step {last_checkpoint}" + ("" if last_checkpoint is not None else " (none saved yet)"))
  return values


@contextlib.contextmanager
def _stop_on_signals():
  """Turns SIGTERM/SIGINT into a request the loop honours after its current step."""
  requested = {"signal": None}

  def handler(signum, frame):
    requested["signal"] = signal.Signals(signum).name

  if threading.current_thread() is not threading.main_thread():
    yield requested  # Signals only reach the main thread; nothing to install elsewhere.
    return
  previous = {s: signal.signal(s, handler) for s in (signal.SIGTERM, signal.SIGINT)}
  try:
    yield requested
  finally:
    for s, h in previous.items():
      signal.signal(s, h)


class _EarlyStopping:
  """Tracks the best value of an eval metric; its record travels in checkpoint meta."""

  def __init__(self, config: ml_collections.ConfigDict, record: dict):
    self.metric = config.eval.early_stopping_metric
    self.sign = 1.0 if config.eval.early_stopping_mode == "min" else -1.0
    if config.eval.early_stopping_mode not in ("min", "max"):
      raise ConfigError(f"eval.early_stopping_mode must be 'min' or 'max', got "
                        f"{config.eval.early_stopping_mode!r}")
    self.patience = config.eval.patience
    self.best = record.get("best")
    self.bad_evals = record.get("bad_evals", 0)

  def update(self, metrics: Dict[str, float]) -> bool:
    """Returns whether this eval is the best so far."""
    if self.metric not in metrics:
      raise ConfigError(f"eval.early_stopping_metric {self.metric!r} is not an eval metric; "
                        f"valid: {', '.join(sorted(metrics))}")
    value = metrics[self.metric]
    if self.best is None or self.sign * value < self.sign * self.best:
      self.best, self.bad_evals = value, 0
      return True
    self.bad_evals += 1
    return False

  @property
  def should_stop(self) -> bool:
    return self.bad_evals >= self.patience

  def record(self) -> dict:
    return {"best": self.best, "bad_evals": self.bad_evals}


def _init_from(state: TrainState, source_workdir: str, workdir: str) -> TrainState:
  loaded = checkpoint_lib.restore_params(source_workdir)
  params, taken, initialised = checkpoint_lib.merge_matching(state.params, loaded)
  report = {"source": source_workdir, "loaded": taken, "initialised": initialised}
  if sharding.is_main_process():
    with open(os.path.join(workdir, "init_from.json"), "w") as f:
      json.dump(report, f, indent=2)
  print(f"init_from {source_workdir}: loaded {len(taken)} arrays, initialised {len(initialised)}"
        + (f" ({', '.join(initialised[:8])}{' ...' if len(initialised) > 8 else ''})" if initialised else ""))
  ema = None if state.ema_params is None else params
  return state.replace(params=params, ema_params=ema)


def train(config: ml_collections.ConfigDict, workdir: str) -> TrainState:
  """Trains ``config`` in ``workdir``, resuming from its newest checkpoint if there is one."""
  sharding.initialize_distributed(config.distributed)
  check_workdir_version(workdir)
  run = Run(config)
  main = sharding.is_main_process()
  os.makedirs(workdir, exist_ok=True)
  if main:
    _write_workdir_files(workdir, config)

  init_key, train_key = _run_keys(config.seed)
  state = run.initial_state(init_key)
  train_iter = run.train_iterator()
  checkpointer = checkpoint_lib.Checkpointer(os.path.join(workdir, "checkpoints"),
                                             config.keep_checkpoints)
  restored = checkpointer.restore_latest(state)
  meta = {}
  if restored is not None:
    state, data_state, meta = restored
    train_iter.set_state(data_state)
    train_key = jnp.asarray(np.asarray(meta["train_key"], np.uint32))
    if main:  # Rows logged after that checkpoint are about to be logged again.
      logging_lib.drop_rows_after(workdir, int(state.step))
    print(f"resumed from step {int(state.step)} in {workdir}")
  elif config.init_from:
    state = _init_from(state, config.init_from, workdir)

  early_stopping = _EarlyStopping(config, meta.get("early_stopping", {}))
  best_checkpointer = (checkpoint_lib.Checkpointer(os.path.join(workdir, "checkpoints_best"), 1)
                       if early_stopping.metric else None)
  writer = logging_lib.MetricWriter(workdir, enabled=main)
  num_steps = config.train.num_steps
  start = int(state.step)

  def save(step: int) -> None:
    meta = {"train_key": np.asarray(jax.device_get(train_key)).tolist(),
            "early_stopping": early_stopping.record()}
    checkpointer.save(step, state, train_iter.get_state(), meta)

  progress = tqdm.tqdm(total=num_steps, initial=start, disable=not (main and sys.stderr.isatty()),
                       dynamic_ncols=True, desc="train")
  pending = None  # The previous step's metrics: checked one step late so dispatch stays async.
  check_finite = (lambda *args: None) if config.train.skip_nonfinite else _check_finite
  interval = _IntervalMetrics()
  started = last_log = time.perf_counter()
  first_step_seconds = None
  step = start
  try:
    with _stop_on_signals() as stop:
      while step < num_steps:
        if stop["signal"]:
          print(f"{stop['signal']}: saving a checkpoint at step {step} and exiting")
          break
        batch = sharding.shard_batch(next(train_iter), run.mesh)
        state, metrics = run.train_step_fn(state, batch, jax.random.fold_in(train_key, step))
        if pending is not None:
          check_finite(*pending, checkpointer.latest_step())
        step += 1
        pending = (step, metrics)
        interval.add(metrics)
        if first_step_seconds is None:
          jax.block_until_ready(metrics)
          first_step_seconds = time.perf_counter() - started
        progress.update(1)

        if step % config.log_every == 0 or step == num_steps:
          check_finite(*pending, checkpointer.latest_step())
          now = time.perf_counter()
          logged = interval.means()
          logged["steps_per_sec"] = interval.steps / max(now - last_log, 1e-9)
          if step - interval.steps == start:
            logged["first_step_seconds"] = first_step_seconds
          writer.write(step, "train", logged)
          progress.set_postfix(loss=f"{logged['loss']:.4g}")
          interval, last_log = _IntervalMetrics(), now

        if step % config.eval_every == 0 or step == num_steps:
          eval_rng = jax.random.fold_in(jax.random.fold_in(train_key, step), 1)
          eval_metrics = run.eval_pass(state, eval_rng)
          writer.write(step, "eval", eval_metrics)
          run.save_sample_grid(state, eval_rng, os.path.join(workdir, "samples", f"step_{step}.png"))
          if early_stopping.metric:
            if early_stopping.update(eval_metrics):
              check_finite(*pending, checkpointer.latest_step())
              best_checkpointer.save(step, state, train_iter.get_state(),
                                     {"train_key": [], "metric": early_stopping.record()})
            if early_stopping.should_stop:
              print(f"early stopping at step {step}: {early_stopping.metric} has not improved "
                    f"for {early_stopping.patience} evals (best {early_stopping.best:.6g})")
              break

        if step % config.checkpoint_every == 0:
          check_finite(*pending, checkpointer.latest_step())
          save(step)
      if pending is not None:
        check_finite(*pending, checkpointer.latest_step())
      if checkpointer.latest_step() != step:
        save(step)
  finally:
    progress.close()
    checkpointer.close()
    if best_checkpointer is not None:
      best_checkpointer.close()
    writer.close()
  return state


def load_workdir_config(workdir: str) -> ml_collections.ConfigDict:
  path = os.path.join(workdir, CONFIG_FILE)
  if not os.path.exists(path):
    raise CheckpointError(f"{workdir!r} is not a jaxgen workdir: it has no {CONFIG_FILE} "
                          "(run `jaxgen train --workdir` first)")
  with open(path) as f:
    return config_lib.from_json(f.read())


def restore(workdir: str, which: str = "latest", overrides: Sequence[str] = ()) -> tuple[Run, TrainState]:
  """The run and the trained state of ``workdir`` (``which``: ``latest`` or ``best``).

  ``overrides`` (``field=value``) change the config for this use only, e.g. a sampling
  temperature or an evaluation sample count; the workdir's ``config.json`` is not touched.
  """
  config = load_workdir_config(workdir)
  check_workdir_version(workdir)
  config_lib.apply_overrides(config, overrides)
  sharding.initialize_distributed(config.distributed)
  run = Run(config)
  directory = {"latest": "checkpoints", "best": "checkpoints_best"}.get(which)
  if directory is None:
    raise ConfigError(f"checkpoint {which!r} is unknown; valid: latest, best")
  checkpointer = checkpoint_lib.Checkpointer(os.path.join(workdir, directory), None)
  try:
    restored = checkpointer.restore_latest(run.initial_state(_run_keys(config.seed)[0]),
                                           read_only=True)
  finally:
    checkpointer.close()
  if restored is None:
    raise CheckpointError(f"{workdir!r} has no checkpoint under {directory}/ to evaluate or sample")
  return run, restored[0]


def evaluate(workdir: str, which: str = "latest", overrides: Sequence[str] = ()) -> Dict[str, float]:
  """Restores ``workdir``'s checkpoint, runs the family's ``evaluate``, writes ``eval.json`` (and
  whatever the family's optional ``write_report(metrics, workdir)`` writes)."""
  run, state = restore(workdir, which, overrides)
  rng = jax.random.fold_in(jax.random.PRNGKey(run.config.seed), 2)
  metrics = dict(run.experiment.evaluate(state, run.eval_batches, rng))
  metrics["step"] = int(state.step)
  if sharding.is_main_process():
    with open(os.path.join(workdir, EVAL_FILE), "w") as f:
      json.dump(metrics, f, indent=2, sort_keys=True)
    report = getattr(run.experiment, "write_report", None)  # optional: a family's tables and plots
    if report is not None:
      report(metrics, workdir)
  return metrics


def sample(workdir: str, num: int, out: str, seed: int = 0, which: str = "latest",
           overrides: Sequence[str] = ()) -> np.ndarray:
  """Writes ``num`` samples to ``out``: a ``.png`` grid or a ``.npz`` with the array ``samples``."""
  if num <= 0:
    raise ConfigError(f"--num must be a positive number of samples, got {num}")
  extension = os.path.splitext(out)[1].lower()
  if extension not in (".png", ".npz"):
    raise ConfigError(f"--out {out!r} must end in .png (a grid) or .npz (the array 'samples')")
  run, state = restore(workdir, which, overrides)
  samples = run.samples(state, jax.random.PRNGKey(seed), num)
  if sharding.is_main_process():
    if extension == ".npz":
      np.savez(out, samples=samples)
    elif run.info.kind == "image":
      logging_lib.save_image_grid(samples, out, value_range(run.config))
    else:
      logging_lib.save_scatter(samples, out)
  return samples
