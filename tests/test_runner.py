"""The runner: workdir contract, exact resume (also after SIGTERM), one compile, sharding."""

import json
import os
import re
import random
import signal
import subprocess
import sys
import time

import jax
import numpy as np
from jax.experimental.compilation_cache import compilation_cache as jax_cache
import pytest

from conftest import REPO, run_python, train_inspectable
from jaxgen.core import checkpoint as checkpoint_lib
from jaxgen.core import config as config_lib
from jaxgen.core import logging as logging_lib
from jaxgen.core import runner
from jaxgen.errors import ConfigError, NonFiniteError

SMALL = ["model.hidden=(32,)", "train.batch_size=32", "eval.batch_size=100", "log_every=25",
         "eval_every=1000", "checkpoint_every=50", "optimizer.warmup_steps=0"]


def small_config(*overrides):
  config = config_lib.load_config(os.path.join(REPO, "experiments", "autoencoder_digits.py"))
  config_lib.apply_overrides(config, SMALL + list(overrides))
  return config


def params_of(workdir):
  return checkpoint_lib.restore_params(workdir)


def max_abs_difference(a, b):
  return max(float(np.max(np.abs(np.asarray(x) - np.asarray(y))))
             for x, y in zip(jax.tree.leaves(a), jax.tree.leaves(b)))


def test_train_writes_the_workdir_contract(tmp_path):
  workdir = str(tmp_path / "run")
  runner.train(small_config("train.num_steps=20", "eval_every=10", "log_every=5",
                            "checkpoint_every=10"), workdir)
  for name in ("config.json", "metrics.jsonl", "samples/step_10.png", "samples/step_20.png",
               "checkpoints/20"):
    assert os.path.exists(os.path.join(workdir, name)), name
  assert any(name.startswith("events") for name in os.listdir(os.path.join(workdir, "tb")))
  rows = logging_lib.read_metrics(workdir)
  assert [r["step"] for r in rows if r["split"] == "train"] == [5, 10, 15, 20]
  assert [r["step"] for r in rows if r["split"] == "eval"] == [10, 20]
  train_row = rows[0]
  assert {"loss", "reconstruction", "grad_norm", "param_norm", "steps_per_sec"} <= set(train_row)
  assert all(isinstance(v, float) for k, v in train_row.items() if k not in ("step", "split"))
  with open(os.path.join(workdir, "config.json")) as f:
    assert json.load(f)["train"]["num_steps"] == 20

  metrics = runner.evaluate(workdir)
  with open(os.path.join(workdir, "eval.json")) as f:
    assert json.load(f) == pytest.approx(metrics)
  assert set(metrics) >= {"recon_mse", "recon_bce", "anomaly_auroc", "step"}
  samples = runner.sample(workdir, 10, str(tmp_path / "s.npz"))
  assert samples.shape == (10, 8, 8, 1) and 0.0 <= samples.min() and samples.max() <= 1.0
  np.testing.assert_array_equal(np.load(tmp_path / "s.npz")["samples"], samples)


def test_resume_is_exact(tmp_path):
  """100 steps, stop, train again to 200 == 200 uninterrupted steps.

  The schedule is constant so that a run configured for 100 steps is the first half of the
  200-step run; the SIGTERM test below interrupts the real (cosine) schedule.
  """
  constant = "optimizer.schedule=constant"
  runner.train(small_config("train.num_steps=200", constant), str(tmp_path / "straight"))
  runner.train(small_config("train.num_steps=100", constant), str(tmp_path / "resumed"))
  runner.train(small_config("train.num_steps=200", constant), str(tmp_path / "resumed"))
  assert max_abs_difference(params_of(tmp_path / "straight"), params_of(tmp_path / "resumed")) <= 1e-6
  # Resumed under a different config: the one its first 100 steps ran under is kept.
  for name, steps in (("config.replaced.1.json", 100), ("config.json", 200)):
    with open(tmp_path / "resumed" / name) as f:
      assert json.load(f)["train"]["num_steps"] == steps
  assert not os.path.exists(tmp_path / "straight" / "config.replaced.1.json")


def test_train_step_compiles_exactly_once(tmp_path):
  config = small_config("train.num_steps=30", "checkpoint_every=10", "eval_every=10")
  run, _ = train_inspectable(config, str(tmp_path / "run"))
  assert run.train_step_fn._cache_size() == 1
  assert run.eval_step_fn._cache_size() == 1


def test_sigterm_saves_then_resume_matches_uninterrupted(tmp_path):
  overrides = ["train.num_steps=200", "log_every=1"]
  runner.train(small_config(*overrides), str(tmp_path / "straight"))

  workdir = tmp_path / "interrupted"
  command = [sys.executable, "-m", "jaxgen.cli", "train", "--config",
             os.path.join(REPO, "experiments", "autoencoder_digits.py"), "--workdir", str(workdir)]
  command += [f"--config.{o}" for o in SMALL + overrides]
  process = subprocess.Popen(command, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                             text=True, env={**os.environ, "JAX_PLATFORMS": "cpu"})
  target_lines = random.Random().randint(5, 120)
  metrics_path = workdir / "metrics.jsonl"
  deadline = time.time() + 120
  while time.time() < deadline and process.poll() is None:
    if metrics_path.exists() and len(metrics_path.read_text().splitlines()) >= target_lines:
      break
    time.sleep(0.01)
  process.send_signal(signal.SIGTERM)
  output, _ = process.communicate(timeout=60)
  assert process.returncode == 143, output
  stopped_at = int(re.search(r"SIGTERM at step (\d+): checkpoint of step \1 saved",
                             output).group(1))
  assert 0 < stopped_at < 200
  latest = checkpoint_lib.Checkpointer(str(workdir / "checkpoints"))
  assert latest.latest_step() == stopped_at
  latest.close()

  runner.train(small_config(*overrides), str(workdir))
  assert max_abs_difference(params_of(tmp_path / "straight"), params_of(workdir)) <= 1e-6


def test_non_finite_loss_stops_with_the_step_named(tmp_path):
  config = small_config("train.num_steps=40", "optimizer.learning_rate=1e30", "checkpoint_every=1")
  with pytest.raises(NonFiniteError, match=r"non-finite \w+=(nan|inf) at step \d+"):
    runner.train(config, str(tmp_path / "run"))


SHARDED_RUN = """
import json, os, sys
import jax
from jaxgen.core import config as config_lib, runner, sharding
config = config_lib.load_config("experiments/autoencoder_digits.py")
config_lib.apply_overrides(config, {overrides!r})
run = runner.Run(config)
batch = next(run.train_batches())
print("SHARDS", len(batch["image"].sharding.device_set), batch["image"].addressable_shards[0].data.shape)
runner.train(config, sys.argv[1] if len(sys.argv) > 1 else {workdir!r})
"""


def test_four_devices_match_one_device(tmp_path):
  overrides = SMALL + ["train.num_steps=50", "log_every=50", "train.batch_size=64"]
  losses = {}
  for devices in (1, 4):
    workdir = str(tmp_path / f"devices{devices}")
    result = run_python(SHARDED_RUN.format(overrides=overrides, workdir=workdir), devices=devices)
    assert f"SHARDS {devices} ({64 // devices}, 8, 8, 1)" in result.stdout
    rows = logging_lib.read_metrics(workdir)
    losses[devices] = [r["loss"] for r in rows if r["split"] == "train" and r["step"] == 50][0]
  assert abs(losses[1] - losses[4]) <= 1e-4, losses


def test_batch_not_divisible_by_devices_is_a_one_line_error(tmp_path):
  code = ("import sys\nfrom jaxgen import cli\n"
          f"sys.exit(cli.main(['train', '--config', 'experiments/autoencoder_digits.py', "
          f"'--workdir', {str(tmp_path)!r}, '--config.train.batch_size=30']))")
  result = run_python(code, devices=4, check=False)
  assert result.returncode == 2
  assert result.stderr.strip() == ("jaxgen train: error: train.batch_size=30 is not divisible by the 4 "
                                   "devices of the mesh; use a multiple of 4")


def test_init_from_loads_matching_params_and_reports(tmp_path):
  source = str(tmp_path / "source")
  runner.train(small_config("train.num_steps=10"), source)
  target = str(tmp_path / "target")
  state = runner.train(small_config("train.num_steps=1", "optimizer.learning_rate=1e-12",
                                    "model.latent_dim=8", f"init_from='{source}'"), target)
  with open(os.path.join(target, "init_from.json")) as f:
    report = json.load(f)
  # latent_dim 16 -> 8 changes the shapes of the code layer (kernel, bias) and of the first
  # decoder kernel; the first decoder bias (32,) still matches and is loaded.
  assert len(report["loaded"]) == 5 and len(report["initialised"]) == 3
  assert "['encoder']['Dense_1']['kernel']" in report["initialised"]
  loaded = params_of(source)
  first = jax.tree.leaves(state.params["encoder"]["Dense_0"])
  np.testing.assert_allclose(first[0], jax.tree.leaves(loaded["encoder"]["Dense_0"])[0], atol=1e-9)


def test_early_stopping_keeps_the_best_checkpoint(tmp_path):
  workdir = str(tmp_path / "run")
  config = small_config("train.num_steps=400", "eval_every=20", "eval.patience=2",
                        "eval.early_stopping_metric=recon_mse", "optimizer.learning_rate=0.05",
                        "optimizer.name=sgd")
  state = runner.train(config, workdir)
  evals = [r for r in logging_lib.read_metrics(workdir) if r["split"] == "eval"]
  best = min(evals, key=lambda r: r["recon_mse"])
  if int(state.step) < 400:  # It stopped early: the last `patience` evals did not improve.
    assert all(r["recon_mse"] >= best["recon_mse"] for r in evals[-2:])
  best_dir = os.path.join(workdir, "checkpoints_best")
  assert os.listdir(best_dir) == [str(best["step"])] or str(best["step"]) in os.listdir(best_dir)
  assert runner.evaluate(workdir, "best")["step"] == best["step"]


def test_eval_use_ema_false_evaluates_the_live_params(tmp_path):
  """``--config.eval.use_ema=False``: eval and sample see the live params, not the EMA's, and
  eval.json says so; a workdir written before the field existed takes it too."""
  workdir = str(tmp_path / "run")
  runner.train(small_config("train.num_steps=20", "train.ema_decay=0.9"), workdir)
  config_file = os.path.join(workdir, runner.CONFIG_FILE)  # as a workdir from before the field
  with open(config_file) as f:
    written = json.load(f)
  del written["eval"]["use_ema"]
  with open(config_file, "w") as f:
    json.dump(written, f)
  _, state = runner.restore(workdir)
  _, live = runner.restore(workdir, overrides=["eval.use_ema=False"])
  assert max_abs_difference(state.eval_params, state.params) > 1e-4  # the EMA trails
  assert max_abs_difference(live.eval_params, state.params) == 0
  ema_metrics = runner.evaluate(workdir)
  live_metrics = runner.evaluate(workdir, overrides=["eval.use_ema=False"])
  assert live_metrics["params"] == "live" and "params" not in ema_metrics
  assert live_metrics["recon_mse"] != ema_metrics["recon_mse"]


def test_unknown_names_are_errors_that_list_valid_ones():
  with pytest.raises(Exception, match=r"unknown dataset 'digitz'.*digits"):
    runner.Run(small_config("data.name=digitz"))
  with pytest.raises(Exception, match=r"unknown family 'vea'; valid: .*autoencoder"):
    runner.Run(small_config("family=vea"))
  with pytest.raises(Exception, match=r"unknown autoencoder loss 'l2'; valid: bce, mse"):
    runner.Run(small_config("loss.name=l2"))
  with pytest.raises(ConfigError, match="missing field 'train.batch_size'"):
    config = small_config()
    del config.train["batch_size"]
    runner.Run(config)


def test_eval_pass_means_every_test_example_once_and_wants_one_value_each():
  """Means over the whole test split, the last batch's padding left out (checked against numpy
  over the split's examples); a metric of more than one value per example is a clear error."""
  run = runner.Run(small_config("eval.batch_size=128"))
  state = run.initial_state(jax.random.PRNGKey(0))
  key = run.info.key
  examples = np.concatenate([np.asarray(b[key])[np.asarray(b["mask"]) > 0]
                             for b in run.eval_batches()])
  assert len(examples) % 128  # the last batch is padded
  flat = lambda x: x.reshape(len(x), -1)
  run.eval_step_fn = lambda state, batch, rng: {"total": flat(batch[key]).sum(1)}
  assert run.eval_pass(state, jax.random.PRNGKey(1)) == pytest.approx(
      {"total": flat(examples).sum(1).mean()}, rel=1e-6)
  run.eval_step_fn = lambda state, batch, rng: {"pair": flat(batch[key])[:, :2]}
  with pytest.raises(ValueError, match=r"metric 'pair' has shape \(2,\) per example; expected one"):
    run.eval_pass(state, jax.random.PRNGKey(1))


def test_a_second_launch_loads_its_compiled_steps_from_the_persistent_cache(tmp_path,
                                                                            monkeypatch):
  monkeypatch.setenv("JAXGEN_COMPILATION_CACHE_DIR", str(tmp_path / "xla"))
  previous = (jax.config.jax_compilation_cache_dir,
              jax.config.jax_persistent_cache_min_compile_time_secs)
  jax.config.update("jax_persistent_cache_min_compile_time_secs", 0.0)
  try:
    rows = []
    for name in ("first", "second"):  # a new Run each time: nothing is reused in memory
      runner.train(small_config("train.num_steps=2", "log_every=2", "eval_every=100"),
                   str(tmp_path / name))
      rows.append(logging_lib.read_metrics(str(tmp_path / name))[0])
  finally:
    jax.config.update("jax_compilation_cache_dir", previous[0])
    jax.config.update("jax_persistent_cache_min_compile_time_secs", previous[1])
    jax_cache.reset_cache()
  assert os.listdir(tmp_path / "xla")  # the compiled steps, on disk
  assert rows[0]["compile_cache_misses"] >= 1
  assert rows[1]["compile_cache_hits"] > rows[0]["compile_cache_hits"]  # (counts per process)
