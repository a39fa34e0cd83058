"""The one training runner: train, evaluate and sample any family's Experiment.

``Run`` builds a family's Experiment and compiles every device function it has (train, eval,
per-example, sample, grid) with explicit shardings over a ``data`` mesh (batch sharded, state
replicated, the train state donated). ``train(config, workdir)`` checkpoints with orbax, resumes
exactly (state, data position, run key), and runs its periodic actions (log, evaluate with a
sample grid and early stopping, save), saving on SIGTERM/SIGINT before it exits. ``evaluate``
makes one pass over the test split and hands its per-example results to the family.
"""

import contextlib
import functools
import json
import math
import os
import signal
import sys
import threading
import time
from typing import Any, Callable, Dict, Iterator, Optional, Sequence

import grain
import jax
import jax.numpy as jnp
import ml_collections
import numpy as np
import tqdm
from flax import traverse_util

import jaxgen
from jaxgen import data as data_lib
from jaxgen import registry
from jaxgen.core import checkpoint as checkpoint_lib
from jaxgen.core import compilation_cache
from jaxgen.core import config as config_lib
from jaxgen.core import evaluation
from jaxgen.core import logging as logging_lib
from jaxgen.core import precision
from jaxgen.core import progress
from jaxgen.core import sharding
from jaxgen.core.experiment import Experiment, TrainState, skipping_nonfinite
from jaxgen.errors import (CheckpointError, ConfigError, NonFiniteError, TrainingInterrupted,
                           WorkdirError)

CONFIG_FILE = "config.json"
EVAL_FILE = "eval.json"
VERSION_FILE = "jaxgen.json"
# Bumped when what a workdir holds changes incompatibly; a reader accepts this format only.
# 2: Experiment protocol v2 (no per-family migrations of older configs).
# 3: grain input and validation splits (the train splits and the data position changed).
WORKDIR_FORMAT = 3
# Global batches kept on the devices ahead of the train step.
DEVICE_PREFETCH = 2


def data_options(config: ml_collections.ConfigDict) -> dict:
  """The preprocessing options of ``config.data`` that every ``jaxgen.data.load`` takes."""
  c = config.data
  return dict(scale=c.scale, dequantize=c.dequantize, binarize=c.binarize, data_dir=c.dir,
              paired_source=c.paired_source, domain_classes=tuple(c.domain_classes))


class Run:
  """What train/evaluate/sample share: the mesh, the experiment, its compiled functions."""

  def __init__(self, config: ml_collections.ConfigDict, eval_split: str = "validation"):
    """``eval_split``: what the eval pass and ``evaluate`` measure: ``validation`` while
    training (early stopping and best checkpoints never see ``test``), ``test`` for reported
    numbers."""
    self.config = config_lib.validate(config)
    self.mesh = sharding.make_mesh()
    sharding.check_batch_size(config.train.batch_size, self.mesh)
    sharding.check_batch_size(config.eval.batch_size, self.mesh, "eval.batch_size")
    self.info = data_lib.dataset_info(config.data.name)
    self.value_range = self.info.value_range(config.data.scale)
    if eval_split not in self.info.num_examples:
      raise ConfigError(f"split {eval_split!r} is not one of {config.data.name!r}'s: "
                        f"{', '.join(self.info.num_examples)}")
    self.eval_split = eval_split
    # The eval pass's first N examples (0: all).
    self.eval_limit = limit = config.eval.num_examples
    if not isinstance(limit, int) or isinstance(limit, bool) or limit < 0:
      raise ConfigError(f"config field 'eval.num_examples' must be an int >= 0 (0: the whole "
                        f"split), got {self.eval_limit!r}")
    self.experiment: Experiment = registry.make_experiment(config)
    self.experiment.eval_split = eval_split
    if config.data.unlabelled == "keep" and not self.experiment.uses_unlabelled:
      raise ConfigError(f"family {config.family!r} cannot train on unlabelled examples "
                        "(label -1): set data.unlabelled='drop'")
    precision.check(config, self.experiment)
    self.experiment.prepare(self.examples)
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
    per_example = dict(in_shardings=(replicated, batch, replicated), out_shardings=batch)
    self.eval_step_fn = jax.jit(self.experiment.eval_step, **per_example)
    self.evaluate_step_fn = jax.jit(self.experiment.evaluate_step, **per_example)
    self._sample_fns = {}
    self.grid_fn = jax.jit(self.experiment.sample_grid, in_shardings=(replicated, replicated),
                           out_shardings=replicated)
    self._eval_stream = None

  def examples(self, split: str, num: int) -> Dict[str, np.ndarray]:
    """The first ``num`` examples of ``split`` as the config preprocesses them (``prepare``)."""
    c = self.config
    return evaluation.split_examples(c.data.name, split, num, c.seed, **data_options(c))

  def train_batches(self) -> grain.DatasetIterator:
    """The training stream's global batches on the mesh, a grain iterator (``get_state`` /
    ``set_state``): grain's threads assemble batches and a background thread puts the next
    ``DEVICE_PREFETCH`` on the devices, so the train step does not wait for input."""
    c = self.config
    stream = data_lib.load(c.data.name, "train", c.train.batch_size, seed=c.seed,
                           random_flip=c.data.random_flip, augment=c.data.augment,
                           exclude_labels=tuple(c.data.exclude_labels),
                           labels_per_class=c.data.labels_per_class,
                           unlabelled=c.data.unlabelled, synthetic=c.data.synthetic,
                           **data_options(c))
    on_mesh = stream.dataset.map(functools.partial(sharding.shard_batch, mesh=self.mesh))
    return iter(grain.experimental.ThreadPrefetchIterDataset(
        on_mesh, prefetch_buffer_size=DEVICE_PREFETCH))

  def eval_batches(self) -> Iterator[dict]:
    """A fresh sharded pass over ``eval_split`` (every label; padded batches carry ``mask``)."""
    c = self.config
    if self._eval_stream is None:
      self._eval_stream = data_lib.load(c.data.name, self.eval_split, c.eval.batch_size,
                                        seed=c.seed, shuffle=False, repeat=False,
                                        **data_options(c))
    return sharding.sharded_iterator(iter(self._eval_stream), self.mesh)

  def initial_state(self, init_key: jax.Array) -> TrainState:
    example = next(iter(self.eval_batches()))
    return self.init_fn(init_key, example)

  def abstract_state(self) -> TrainState:
    """The state's shapes, dtypes and shardings, without compiling ``init``: what a restore
    needs (a U-Net's init compiles for seconds)."""
    return jax.eval_shape(self.init_fn, jax.random.PRNGKey(0), next(iter(self.eval_batches())))

  def split_pass(self, step_fn: Callable, state: TrainState, rng: jax.Array) -> Dict[str, np.ndarray]:
    """``step_fn``'s per-example values over ``eval_split`` (its first ``eval.num_examples``; 0:
    all), with the labels where there are any: {name: float64 [N, ...]} on the host, the padding
    of the last batch left out."""
    size = self.info.num_examples[self.eval_split]
    status = progress.StatusLines(f"{self.eval_split} examples", "examples",
                                  min(self.eval_limit or size, size))
    return evaluation.per_example(lambda batch, key: step_fn(state, batch, key),
                                  self.eval_batches(), rng, extras=("label",),
                                  limit=self.eval_limit, status=status)

  def eval_pass(self, state: TrainState, rng: jax.Array) -> Dict[str, float]:
    """Means of ``eval_step``'s per-example metrics over the whole ``eval_split`` (float64)."""
    values = self.split_pass(self.eval_step_fn, state, rng)
    values.pop("label", None)
    for name, column in values.items():
      if column.ndim != 1:
        raise ValueError(f"eval_step metric {name!r} has shape {column.shape[1:]} per example; "
                         "expected one value per example")
    return {name: float(np.mean(column)) for name, column in values.items()}

  def sample_fn(self, **options) -> Callable:
    """The compiled ``sample(state, rng, num)`` with these static ``options`` (one compile per
    option set and ``num``)."""
    key = tuple(sorted(options.items()))
    if key not in self._sample_fns:
      replicated = sharding.replicated(self.mesh)
      # The options are bound, not passed: jit takes no keyword arguments with in_shardings.
      self._sample_fns[key] = jax.jit(functools.partial(self.experiment.sample, **options),
                                      static_argnums=(2,), in_shardings=(replicated, replicated),
                                      out_shardings=replicated)
    return self._sample_fns[key]

  def sampler(self, state: TrainState) -> Callable[..., np.ndarray]:
    """``sampler(rng, num, **options)``: ``num`` samples of ``state`` on the host, drawn
    ``eval.batch_size`` at a time with keys ``fold_in(rng, i)`` (one compile per options)."""

    def draw(rng: jax.Array, num: int, **options) -> np.ndarray:
      sample = self.sample_fn(**options)
      return evaluation.draw(lambda key, n: sample(state, key, n), rng, num,
                             self.config.eval.batch_size)

    return draw

  def save_sample_grid(self, state: TrainState, rng: jax.Array, stem: str) -> str:
    """Writes ``sample_grid``'s output to ``stem`` + ``shown_as(info)``; -> the path."""
    drawn = sharding.to_host(self.grid_fn(state, rng))
    path = stem + shown_as(self.info)
    if sharding.is_main_process():
      save_samples(self, drawn, path, grid=True)
    return path


def shown_as(info: data_lib.DatasetInfo) -> str:
  """The file samples of ``info``'s kind are shown in: ``.png`` (images: a grid; points: a
  scatter plot), ``.txt`` (text) or ``.wav`` (audio)."""
  if info.kind != "sequence":
    return ".png"
  return ".wav" if info.sample_rate else ".txt"


def save_samples(run: Run, samples: np.ndarray, path: str, grid: bool = False) -> None:
  """Writes ``samples`` to ``path`` as ``shown_as`` says; a ``grid`` (``sample_grid``'s output)
  gets the experiment's columns and captions, and points the data drawn beneath them."""
  info = run.info
  if info.kind == "image":
    grid_options = dict(ncol=run.experiment.grid_columns,
                        captions=run.experiment.grid_rows()) if grid else {}
    logging_lib.save_image_grid(samples, path, run.value_range, **grid_options)
  elif info.sample_rate:
    logging_lib.save_audio(samples, path, info.decode, info.sample_rate)
  elif info.kind == "sequence":
    logging_lib.save_text(samples, path, info.decode)
  else:
    reference = run.examples(run.eval_split, 2000)[info.key] if grid else None
    logging_lib.save_scatter(samples, path, reference)


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
  """Rejects a workdir written in another workdir format than this jaxgen's (a new or empty
  workdir passes)."""
  path = os.path.join(workdir, VERSION_FILE)
  if os.path.exists(path):
    with open(path) as f:
      written = json.load(f)
  elif os.path.exists(os.path.join(workdir, CONFIG_FILE)):
    written = {"workdir_format": 1, "jaxgen_version": "0.1.0 or older"}
  else:
    return
  found = written.get("workdir_format", 0)
  if found != WORKDIR_FORMAT:
    action = "upgrade jaxgen" if found > WORKDIR_FORMAT else "retrain it with this jaxgen"
    raise CheckpointError(
        f"{workdir!r} has workdir format {found} (jaxgen {written.get('jaxgen_version')}); this "
        f"jaxgen {jaxgen.__version__} reads format {WORKDIR_FORMAT} only: {action} to use it")


# What makes a workdir another run: training a config that differs here into it is refused.
IDENTITY_FIELDS = ("family", "data.name")


def check_same_run(workdir: str, config: ml_collections.ConfigDict) -> None:
  """Raises WorkdirError if ``workdir`` holds a run of another family or dataset; changes such as
  more steps or another learning rate are a resumed run (``_write_workdir_files`` records them)."""
  path = os.path.join(workdir, CONFIG_FILE)
  if not os.path.exists(path):
    return
  with open(path) as f:
    previous = config_lib.from_json(f.read())
  differing = [f"{name}: {config_lib.get_field(previous, name)!r} there, "
               f"{config_lib.get_field(config, name)!r} here" for name in IDENTITY_FIELDS
               if config_lib.get_field(previous, name) != config_lib.get_field(config, name)]
  if differing:
    raise WorkdirError(f"{workdir!r} holds another run ({'; '.join(differing)}); nothing in it "
                       "was changed. Train this config in a new --workdir")


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
    requested["signal"] = signal.Signals(signum)

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
  # The EMA starts at the loaded params, in buffers of its own: the train step donates both.
  ema = None if state.ema_params is None else jax.tree.map(jnp.copy, params)
  return state.replace(params=params, ema_params=ema)


class Periodic:
  """Calls ``action(step)`` every ``every`` steps and, with ``at_end``, at the last step (in the
  manner of clu's periodic actions)."""

  def __init__(self, every: int, action: Callable[[int], None], at_end: bool = True):
    self.every, self.action, self.at_end = every, action, at_end

  def __call__(self, step: int, last: bool) -> None:
    if step % self.every == 0 or (self.at_end and last):
      self.action(step)


class _Training:
  """One training run: its state, its writers and the periodic actions of its loop."""

  def __init__(self, config: ml_collections.ConfigDict, workdir: str, stop: dict):
    self.config, self.workdir, self.stop = config, workdir, stop
    self.run = run = Run(config)
    self.main = sharding.is_main_process()
    init_key, self.train_key = _run_keys(config.seed)
    self.train_iter = run.train_batches()
    os.makedirs(workdir, exist_ok=True)
    self.checkpointer = checkpoint_lib.Checkpointer(os.path.join(workdir, "checkpoints"),
                                                    config.keep_checkpoints)
    # A resume restores into the state's shapes; init compiles only for a fresh run.
    restored = self.checkpointer.restore(run.abstract_state())  # Another model's: an error.
    if self.main:
      _write_workdir_files(workdir, config)
    meta = {}
    if restored is None:
      progress.line("initialising ...")
      self.state = run.initial_state(init_key)
      if config.init_from:
        self.state = _init_from(self.state, config.init_from, workdir)
    else:
      self.state, data_state, meta = restored
      self.train_iter.set_state(data_state)
      self.train_key = jnp.asarray(np.asarray(meta["train_key"], np.uint32))
      if self.main:  # Rows logged after that checkpoint are about to be logged again.
        logging_lib.drop_rows_after(workdir, int(self.state.step))
      print(f"resumed from step {int(self.state.step)} in {workdir}")
    self.early_stopping = _EarlyStopping(config, meta.get("early_stopping", {}))
    self.best_checkpointer = (
        checkpoint_lib.Checkpointer(os.path.join(workdir, "checkpoints_best"), 1)
        if self.early_stopping.metric else None)
    self.start = int(self.state.step)
    self.writer = logging_lib.MetricWriter(workdir, enabled=self.main, purge_step=self.start)
    self.pending = None  # The last step's metrics: checked one step late so dispatch stays async.
    self.interval = _IntervalMetrics()
    self.started = self.last_log = time.perf_counter()
    self.first_step_seconds = None
    self.stop_requested = False

  def check_finite(self) -> None:
    if self.pending is not None and not self.config.train.skip_nonfinite:
      _check_finite(*self.pending, self.checkpointer.latest_step())

  def train_step(self, step: int) -> None:
    """The update that makes step ``step + 1``."""
    batch = next(self.train_iter)
    if self.first_step_seconds is None:
      progress.line(f"compiling the train step (step {step + 1}) ...")
    self.state, metrics = self.run.train_step_fn(self.state, batch,
                                                 jax.random.fold_in(self.train_key, step))
    self.check_finite()
    self.pending = (step + 1, metrics)
    self.interval.add(metrics)
    if self.first_step_seconds is None:
      jax.block_until_ready(metrics)
      self.first_step_seconds = time.perf_counter() - self.started

  def log(self, step: int) -> None:
    """The train metrics' means since the last log, and the step rate."""
    self.check_finite()
    now = time.perf_counter()
    logged = self.interval.means()
    logged["steps_per_sec"] = self.interval.steps / max(now - self.last_log, 1e-9)
    if step - self.interval.steps == self.start:  # the launch: its start-up and compilations
      logged["first_step_seconds"] = self.first_step_seconds
      logged.update({f"compile_cache_{k}": float(v) for k, v in compilation_cache.counts().items()})
    self.writer.write(step, "train", logged)
    self.progress.set_postfix(loss=f"{logged['loss']:.4g}")
    self.status_details["loss"] = f"loss {logged['loss']:.4g}"
    self.interval, self.last_log = _IntervalMetrics(), now

  def evaluate(self, step: int) -> None:
    """The eval pass's means, a sample grid, and early stopping's bookkeeping."""
    eval_rng = jax.random.fold_in(jax.random.fold_in(self.train_key, step), 1)
    if self.status.enabled:
      progress.line(f"step {step}: evaluating on {self.run.eval_split} ...")
    metrics = self.run.eval_pass(self.state, eval_rng)
    self.writer.write(step, "eval", metrics)
    self.status_details["eval"] = "last eval " + ", ".join(
        f"{name} {value:.4g}" for name, value in list(metrics.items())[:3])
    grid = self.run.save_sample_grid(self.state, eval_rng,
                                     os.path.join(self.workdir, "samples", f"step_{step}"))
    self.writer.samples(step, "samples", grid)
    self.stop_early(step, metrics)

  def stop_early(self, step: int, metrics: Dict[str, float]) -> None:
    stopping = self.early_stopping
    if not stopping.metric:
      return
    if stopping.update(metrics):
      self.check_finite()
      self.best_checkpointer.save(step, self.state, self.train_iter.get_state(),
                                  {"train_key": [], "metric": stopping.record()})
    if stopping.should_stop:
      print(f"early stopping at step {step}: {stopping.metric} has not improved for "
            f"{stopping.patience} evals (best {stopping.best:.6g})")
      self.stop_requested = True

  def save(self, step: int) -> None:
    self.check_finite()
    meta = {"train_key": np.asarray(jax.device_get(self.train_key)).tolist(),
            "early_stopping": self.early_stopping.record()}
    self.checkpointer.save(step, self.state, self.train_iter.get_state(), meta)

  def loop(self) -> TrainState:
    c = self.config
    num_steps = c.train.num_steps
    periodic = [Periodic(c.log_every, self.log), Periodic(c.eval_every, self.evaluate),
                Periodic(c.checkpoint_every, self.save, at_end=False)]
    tty = self.main and sys.stderr.isatty()
    self.progress = tqdm.tqdm(total=num_steps, initial=self.start, dynamic_ncols=True, desc="train",
                              disable=not tty)
    # A batch job (stderr no terminal) gets status lines instead of the bar.
    self.status = progress.StatusLines("step", "steps", num_steps, enabled=self.main and not tty)
    self.status_details = {}
    step = self.start
    try:
      while step < num_steps and not self.stop_requested and not self.stop["signal"]:
        self.train_step(step)
        step += 1
        self.progress.update(1)
        self.status.update(step, list(self.status_details.values()))
        for action in periodic:
          if not self.stop_requested:
            action(step, step == num_steps)
      self.check_finite()
      if step > self.start and self.checkpointer.latest_step() != step:
        self.save(step)
    finally:
      self.progress.close()
      self.checkpointer.close()
      if self.best_checkpointer is not None:
        self.best_checkpointer.close()
      self.writer.close()
    if self.stop["signal"]:
      saved = (f"checkpoint of step {step} saved; the same command resumes" if step > self.start
               else "no step was made, no checkpoint written")
      raise TrainingInterrupted(f"{self.stop['signal'].name} at step {step}: {saved}",
                                int(self.stop["signal"]))
    return self.state


def train(config: ml_collections.ConfigDict, workdir: str) -> TrainState:
  """Trains ``config`` in ``workdir``, resuming from its newest checkpoint if there is one.

  SIGINT/SIGTERM stop it after the current step (initialisation and compilation included): the
  step reached is saved and ``TrainingInterrupted`` raised."""
  sharding.initialize_distributed(config.distributed)
  compilation_cache.enable()
  check_workdir_version(workdir)
  check_same_run(workdir, config)
  with _stop_on_signals() as stop:
    return _Training(config, workdir, stop).loop()


def load_workdir_config(workdir: str) -> ml_collections.ConfigDict:
  path = os.path.join(workdir, CONFIG_FILE)
  if not os.path.exists(path):
    raise CheckpointError(f"{workdir!r} is not a jaxgen workdir: it has no {CONFIG_FILE} "
                          "(run `jaxgen train --workdir` first)")
  with open(path) as f:
    return config_lib.with_base_defaults(config_lib.from_json(f.read()))


def restore(workdir: str, which: str = "latest", overrides: Sequence[str] = (),
            split: str = "test") -> tuple[Run, TrainState]:
  """The run (evaluating ``split``) and the trained state of ``workdir`` (``which``: ``latest``,
  ``best`` or the step of a kept checkpoint).

  ``overrides`` (``field=value``) change the config for this use only, e.g. a sampling
  temperature or an evaluation sample count; the workdir's ``config.json`` is not touched.
  """
  config = load_workdir_config(workdir)
  compilation_cache.enable()
  check_workdir_version(workdir)
  config_lib.apply_overrides(config, overrides)
  sharding.initialize_distributed(config.distributed)
  run = Run(config, split)
  step = int(which) if str(which).isdigit() else None
  directory = "checkpoints" if step is not None else {"latest": "checkpoints",
                                                       "best": "checkpoints_best"}.get(which)
  if directory is None:
    raise ConfigError(f"checkpoint {which!r} is unknown; valid: latest, best or a kept step")
  checkpointer = checkpoint_lib.Checkpointer(os.path.join(workdir, directory), None)
  try:
    restored = checkpointer.restore(run.abstract_state(), step, read_only=True)
  finally:
    checkpointer.close()
  if restored is None:
    raise CheckpointError(f"{workdir!r} has no checkpoint under {directory}/ to evaluate or sample")
  state = restored[0]
  if not config.eval.use_ema:  # the live params: what the EMA adds, measured
    state = state.replace(ema_params=None)
  return run, state


def evaluate(workdir: str, which: str = "latest", overrides: Sequence[str] = (),
             split: str = "test") -> Dict[str, float]:
  """Restores ``workdir``'s checkpoint, makes one pass of ``evaluate_step`` over ``split``
  (``test`` for reported numbers, ``validation`` to choose steps and variants), runs the
  family's ``evaluate`` on its results, writes ``eval.json`` (``eval_validation.json`` for the
  validation split) and the family's report."""
  run, state = restore(workdir, which, overrides, split)
  if run.config.eval.get("fid_extractor"):  # missing weights: say so before the long pass
    from jaxgen.eval import features
    features.check_available(run.config.eval.fid_extractor, run.config.eval.fid_weights)
  rng = jax.random.fold_in(jax.random.PRNGKey(run.config.seed), 2)
  pass_key, sample_key = jax.random.split(rng)
  progress.line(f"step {int(state.step)}: evaluating on {split} ...")
  results = run.split_pass(run.evaluate_step_fn, state, pass_key)
  metrics = dict(run.experiment.evaluate(state, results, run.sampler(state), sample_key))
  exclude_labels = tuple(run.config.data.exclude_labels)
  scores = run.experiment.anomaly_score(results)
  codelengths = (evaluation.split_png_bits(run.config.data.name, split)[:len(scores)]
                 if scores is not None and exclude_labels and run.experiment.anomaly_score_is_nll
                 and run.info.kind == "image" else None)
  metrics.update(evaluation.anomaly_metrics(scores, results, exclude_labels, codelengths))
  if run.eval_limit:  # a part of the split: say how much
    metrics["eval_examples"] = len(next(iter(results.values())))
  metrics["step"] = int(state.step)
  if not run.config.eval.use_ema:
    metrics["params"] = "live"  # not the EMA's
  if sharding.is_main_process():
    with open(os.path.join(workdir, eval_file(split)), "w") as f:
      json.dump(metrics, f, indent=2, sort_keys=True)
    logging_lib.tensorboard_scalars(workdir, metrics["step"], f"jaxgen_eval_{split}", metrics)
    run.experiment.report(metrics, workdir)
  return metrics


def eval_file(split: str) -> str:
  """``eval.json`` for test, ``eval_<split>.json`` otherwise."""
  return EVAL_FILE if split == "test" else f"eval_{split}.json"


def sample(workdir: str, num: int, out: str, seed: int = 0, which: str = "latest",
           overrides: Sequence[str] = ()) -> np.ndarray:
  """Writes ``num`` samples to ``out``: shown as the data's kind is (``shown_as``: a ``.png`` grid
  or scatter plot, a ``.txt`` of text, a ``.wav`` of audio) or a ``.npz`` with the array
  ``samples`` (and the other arrays of a ``sample`` that returns a dict, e.g. flow matching's
  ``noise``)."""
  if num <= 0:
    raise ConfigError(f"--num must be a positive number of samples, got {num}")
  extension = os.path.splitext(out)[1].lower()
  if extension not in (".png", ".txt", ".wav", ".npz"):
    raise ConfigError(f"--out {out!r} must end in .png (images, points), .txt (text), .wav "
                      "(audio) or .npz (the array 'samples')")
  run, state = restore(workdir, which, overrides)
  if not run.experiment.draws_samples:
    raise ConfigError(f"family {run.config.family!r} draws no samples ({workdir!r})")
  shown = shown_as(run.info)
  if extension not in (".npz", shown):
    raise ConfigError(f"--out {out!r}: {run.info.name!r} samples are written as {shown} or .npz")
  drawn = run.sampler(state)(jax.random.PRNGKey(seed), num)
  arrays = drawn if isinstance(drawn, dict) else {"samples": drawn}
  samples = arrays["samples"]
  if sharding.is_main_process():
    if extension == ".npz":  # value_range: what `jaxgen fid` maps to [0, 1]
      np.savez(out, **arrays, value_range=np.asarray(run.value_range, np.float32))
    else:
      save_samples(run, samples, out)
  return samples
