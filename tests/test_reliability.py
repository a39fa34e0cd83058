"""Faults and bad input: kill, preempt, corrupt, NaN, version skew — and nothing is lost."""

import json
import os
import pathlib
import random
import re
import signal
import subprocess
import sys
import time

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from conftest import REPO
from jaxgen import cli, registry
from jaxgen.core import checkpoint as checkpoint_lib
from jaxgen.core import config as config_lib
from jaxgen.core import logging as logging_lib
from jaxgen.core import runner
from jaxgen.errors import CheckpointError, NonFiniteError

CONFIG = os.path.join(REPO, "experiments", "autoencoder_digits.py")
SMALL = ["model.hidden=(32,)", "train.batch_size=32", "eval.batch_size=100", "log_every=1",
         "eval_every=1000", "checkpoint_every=10", "optimizer.warmup_steps=0"]


def small_config(*overrides):
  config = config_lib.load_config(CONFIG)
  config_lib.apply_overrides(config, SMALL + list(overrides))
  return config


def train_command(workdir, overrides):
  return ([sys.executable, "-m", "jaxgen.cli", "train", "--config", CONFIG, "--workdir", str(workdir)]
          + [f"--config.{o}" for o in SMALL + list(overrides)])


def start(workdir, overrides):
  return subprocess.Popen(train_command(workdir, overrides), cwd=REPO, stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, text=True, env={**os.environ, "JAX_PLATFORMS": "cpu"})


def assert_trees_equal(a, b):
  for x, y in zip(jax.tree.leaves(a), jax.tree.leaves(b)):
    np.testing.assert_array_equal(np.asarray(x), np.asarray(y))


def metric_lines(workdir: pathlib.Path) -> int:
  path = workdir / "metrics.jsonl"
  return len(path.read_text().splitlines()) if path.exists() else 0


def checkpoint_being_written(workdir: pathlib.Path) -> bool:
  directory = workdir / "checkpoints"
  return directory.exists() and any("tmp" in p.name for p in directory.iterdir())


def test_random_sigkills_then_resume_equal_an_uninterrupted_run(tmp_path):
  """>= 10 SIGKILLs at random moments, some while a checkpoint is being written."""
  overrides = ["train.num_steps=200", "checkpoint_every=5"]
  straight = runner.train(small_config("train.num_steps=200"), str(tmp_path / "straight"))

  workdir = tmp_path / "killed"
  rng = random.Random(0)
  kills = during_write = 0
  finished = False
  while not finished:
    process = start(workdir, overrides)
    mid_write = kills % 2 == 1  # Every other kill waits for orbax's temporary directory.
    target = metric_lines(workdir) + rng.randint(1, 15)
    deadline = time.time() + 60
    while time.time() < deadline and process.poll() is None:
      if mid_write and checkpoint_being_written(workdir):
        during_write += 1
        break
      if not mid_write and metric_lines(workdir) >= target:
        break
      time.sleep(0.002)
    if process.poll() is None and kills < 10:  # 10 kills, then one run to the end
      process.kill()
      kills += 1
    output, _ = process.communicate(timeout=120)
    finished = process.returncode == 0
    assert finished or process.returncode == -signal.SIGKILL, output
  assert kills >= 10
  final = checkpoint_lib.restore_params(workdir)
  assert_trees_equal(final, straight.params)  # Bit-exact on CPU.
  assert not (tmp_path / "killed" / "checkpoints_unreadable").exists()  # Nothing half-written was read.
  steps = [row["step"] for row in logging_lib.read_metrics(workdir) if row["split"] == "train"]
  assert steps == sorted(set(steps)) and steps[-1] == 200  # Resumed logs continue, no repeats.


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_preemption_signal_saves_the_current_step_and_exits_quickly(signum, tmp_path):
  workdir = tmp_path / "run"
  overrides = ["train.num_steps=100000", "checkpoint_every=100000"]
  process = start(workdir, overrides)
  deadline = time.time() + 120
  while metric_lines(workdir) < 20 and time.time() < deadline:
    time.sleep(0.01)
  signalled = time.time()
  process.send_signal(signum)
  output, _ = process.communicate(timeout=60)
  assert time.time() - signalled < 10
  assert process.returncode == 128 + signum, output  # 130 / 143: not a finished run
  stopped = int(re.search(r"at step (\d+): checkpoint of step \1 saved", output).group(1))
  reader = checkpoint_lib.Checkpointer(str(workdir / "checkpoints"))
  assert reader.latest_step() == stopped >= 20
  reader.close()

  state = runner.train(small_config(f"train.num_steps={stopped + 5}"), str(workdir))
  assert int(state.step) == stopped + 5
  train_steps = [r["step"] for r in logging_lib.read_metrics(workdir) if r["split"] == "train"]
  assert train_steps == list(range(1, stopped + 6))  # Logged once each, across the restart.


def test_corrupted_latest_checkpoint_resumes_from_the_previous_one(tmp_path):
  workdir = tmp_path / "run"
  runner.train(small_config("train.num_steps=20"), str(workdir))
  for path in (workdir / "checkpoints" / "20" / "state").rglob("*"):
    if path.is_file():
      path.write_bytes(path.read_bytes()[: len(path.read_bytes()) // 2])  # Truncated.
  with pytest.warns(UserWarning, match="checkpoint step 20 .* could not be read"):
    state = runner.train(small_config("train.num_steps=30"), str(workdir))
  assert int(state.step) == 30
  assert (workdir / "checkpoints_unreadable" / "20").is_dir()  # The evidence is kept.


def poison_step(monkeypatch, at_step):
  """Makes the update that produces step ``at_step`` return NaN params and loss."""
  make_experiment = registry.make_experiment

  def poisoned(config):
    experiment = make_experiment(config)
    train_step = experiment.train_step

    def step(state, batch, rng):
      new_state, metrics = train_step(state, batch, rng)
      poison = jnp.where(state.step == at_step - 1, jnp.nan, 0.0)
      params = jax.tree.map(lambda p: p + poison, new_state.params)
      return new_state.replace(params=params), dict(metrics, loss=metrics["loss"] + poison)

    experiment.train_step = step
    return experiment

  monkeypatch.setattr(registry, "make_experiment", poisoned)


def test_injected_nan_stops_naming_the_step_and_keeps_the_last_good_checkpoint(tmp_path, monkeypatch):
  poison_step(monkeypatch, 23)
  workdir = tmp_path / "run"
  with pytest.raises(NonFiniteError, match=r"non-finite loss=nan at step 23; .* last good checkpoint is step 20"):
    runner.train(small_config("train.num_steps=50"), str(workdir))
  reader = checkpoint_lib.Checkpointer(str(workdir / "checkpoints"))
  assert reader.latest_step() == 20
  reader.close()
  params = checkpoint_lib.restore_params(workdir)
  assert all(np.isfinite(leaf).all() for leaf in jax.tree.leaves(params))


def test_opt_in_policy_skips_non_finite_updates_and_counts_them(tmp_path, monkeypatch):
  poison_step(monkeypatch, 7)
  workdir = tmp_path / "run"
  state = runner.train(small_config("train.num_steps=12", "train.skip_nonfinite=True",
                                    "log_every=4"), str(workdir))
  assert int(state.step) == 12
  assert all(np.isfinite(np.asarray(leaf)).all() for leaf in jax.tree.leaves(state.params))
  rows = [r for r in logging_lib.read_metrics(workdir) if r["split"] == "train"]
  assert [r["skipped_updates"] for r in rows] == [0.0, 1.0, 0.0]
  assert all(np.isfinite(r["loss"]) for r in rows)


def test_same_config_and_seed_give_bit_identical_params_and_samples(tmp_path):
  states = [runner.train(small_config("train.num_steps=30"), str(tmp_path / f"run{i}")) for i in range(2)]
  assert_trees_equal(states[0].params, states[1].params)
  samples = [runner.sample(str(tmp_path / f"run{i}"), 16, str(tmp_path / f"s{i}.npz"), seed=3)
             for i in range(2)]
  np.testing.assert_array_equal(samples[0], samples[1])


@pytest.mark.parametrize("written,found", [
    ({"jaxgen_version": "9.0.0", "workdir_format": 99}, "format 99 (jaxgen 9.0.0)"),
    ({"jaxgen_version": "0.1.0", "workdir_format": 1}, "format 1 (jaxgen 0.1.0)"),
    (None, "format 1 (jaxgen 0.1.0 or older)"),  # before the version file existed
])
def test_a_workdir_of_another_format_is_a_one_line_error_naming_both(tmp_path, capsys, written, found):
  workdir = tmp_path / "run"
  runner.train(small_config("train.num_steps=2"), str(workdir))
  capsys.readouterr()  # training's status lines
  assert json.loads((workdir / runner.VERSION_FILE).read_text())["workdir_format"] == runner.WORKDIR_FORMAT
  if written is None:
    (workdir / runner.VERSION_FILE).unlink()
  else:
    (workdir / runner.VERSION_FILE).write_text(json.dumps(written))
  assert cli.main(["eval", "--workdir", str(workdir)]) == 2
  err = capsys.readouterr().err.strip()
  assert len(err.splitlines()) == 1, err
  assert found in err and f"reads format {runner.WORKDIR_FORMAT} only" in err
  with pytest.raises(CheckpointError, match=found.replace("(", r"\(").replace(")", r"\)")):
    runner.train(small_config("train.num_steps=4"), str(workdir))


@pytest.mark.parametrize("override,message", [
    ("train.ema_decay=1.5", "'train.ema_decay' must be a number in [0, 1), got 1.5"),
    ("keep_checkpoints=0", "'keep_checkpoints' must be an int > 0, got 0"),
    ("optimizer.learning_rate=-0.1", "'optimizer.learning_rate' must be a number > 0, got -0.1"),
    ("eval.batch_size=-4", "'eval.batch_size' must be an int > 0, got -4"),
    ("eval.num_examples=-1", "'eval.num_examples' must be an int >= 0 (0: the whole split), got -1"),
    ("data.scale='0_255'", "scale"),
    ("data.binarize='fixed'", "binarize"),  # Conflicts with dequantize=True below.
])
def test_bad_config_values_are_one_line_errors_naming_the_field(override, message, tmp_path, capsys):
  args = ["train", "--config", CONFIG, "--workdir", str(tmp_path), f"--config.{override}"]
  if "binarize" in override:
    args.append("--config.data.dequantize=True")
  assert cli.main(args) == 2
  err = capsys.readouterr().err.strip()
  assert message in err and len(err.splitlines()) == 1, err


def test_data_with_nan_is_rejected_naming_the_dataset(tmp_path, capsys):
  assert cli.main(["train", "--config", CONFIG, "--workdir", str(tmp_path),
                   "--config.data.name=reliability_sources:NAN_POINTS"]) == 2
  assert "expected finite points, got NaN or Inf" in capsys.readouterr().err


def test_no_pickle_on_any_load_path():
  offenders = []
  for path in pathlib.Path(REPO, "jaxgen").rglob("*.py"):
    text = path.read_text()
    if re.search(r"^\s*import pickle|^\s*from pickle|allow_pickle\s*=\s*True|torch\.load", text, re.M):
      offenders.append(str(path))
  assert offenders == []
