"""Shared test fixtures. JAX runs on the CPU; tests that need several devices or processes
start subprocesses with their own XLA_FLAGS (the device count is fixed at JAX start-up)."""

import atexit
import json
import os
import shutil
import subprocess
import sys
import tempfile

import jax
import numpy as np
import pytest

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
EXPERIMENTS = os.path.join(REPO, "experiments")

# The suite compiles hundreds of small programs and runs each a few times: XLA's backend
# optimisation costs more than it saves there (2-3x on the slowest tests). Numbers are compared
# within the suite, never against a run compiled with other flags; training and benchmarks keep
# XLA's defaults. Set before JAX starts (here, at conftest import) and passed to subprocesses.
TEST_XLA_FLAGS = "--xla_backend_optimization_level=0 --xla_llvm_disable_expensive_passes=true"
os.environ["XLA_FLAGS"] = f"{os.environ.get('XLA_FLAGS', '')} {TEST_XLA_FLAGS}".strip()
# Subprocesses (CLI runs, kills and resumes, several hosts) compile the same steps again and again:
# one persistent compilation cache for the session. The process that imports this first (pytest,
# or pytest-xdist's controller) makes it and removes it at exit; xdist's workers and every
# subprocess inherit the variable and use the same directory. Every program is cached, however
# fast it compiled: tests build the same small steps afresh (new closures, new processes) far more
# often than once, and caching all of them cut the suite's CPU time by a fifth (1245 -> 986 s).
if "JAX_COMPILATION_CACHE_DIR" not in os.environ:
  os.environ["JAX_COMPILATION_CACHE_DIR"] = tempfile.mkdtemp(prefix="jaxgen-test-cache-")
  atexit.register(shutil.rmtree, os.environ["JAX_COMPILATION_CACHE_DIR"], ignore_errors=True)
os.environ.setdefault("JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS", "0")


def run_python(code: str, *, devices: int = 1, env: dict | None = None, timeout: int = 240,
               check: bool = True) -> subprocess.CompletedProcess:
  """Runs ``code`` in a fresh Python with ``devices`` simulated CPU devices."""
  environment = dict(os.environ)
  environment["XLA_FLAGS"] = f"--xla_force_host_platform_device_count={devices} {TEST_XLA_FLAGS}"
  environment["JAX_PLATFORMS"] = "cpu"
  environment.update(env or {})
  result = subprocess.run([sys.executable, "-c", code], cwd=REPO, env=environment, timeout=timeout,
                          capture_output=True, text=True)
  if check and result.returncode != 0:
    raise AssertionError(f"subprocess failed ({result.returncode}):\n{result.stdout}\n{result.stderr}")
  return result


@pytest.fixture
def experiment_path():
  return lambda name: os.path.join(EXPERIMENTS, f"{name}.py")


def train_inspectable(config, workdir: str):
  """``runner.train(config, workdir)`` with a ``Run`` the caller keeps, so its jit caches can be
  inspected afterwards (``run.train_step_fn._cache_size()``). -> (run, final state)."""
  from jaxgen.core import runner
  run = runner.Run(config)
  original = runner.Run
  try:
    runner.Run = lambda config: run
    return run, runner.train(config, workdir)
  finally:
    runner.Run = original


def perturbed_params(params, scale: float, seed: int = 0):
  """Every leaf of ``params`` plus ``scale`` * N(0, 1), drawn on the host. Tests move parameters
  off their initial values (zero-initialised layers would hide a dependence); jax.random per leaf
  compiles a draw per shape eagerly, or one program of seconds under jit."""
  rng = np.random.default_rng(seed)
  return jax.tree.map(
      lambda p: np.asarray(p) + np.float32(scale) * rng.standard_normal(np.shape(p), np.float32),
      params)


def train_and_evaluate(config: str, workdir: str, *overrides: str) -> dict:
  """``jaxgen train`` then ``jaxgen eval`` of ``config`` (a path, ``:smoke`` allowed) through the
  command line, each exiting 0, with ``overrides`` ("field=value") -> eval.json's metrics."""
  from jaxgen import cli
  flags = [f"--config.{override}" for override in overrides]
  assert cli.main(["train", "--config", config, "--workdir", workdir, *flags]) == 0
  assert cli.main(["eval", "--workdir", workdir]) == 0
  with open(os.path.join(workdir, "eval.json")) as f:
    return json.load(f)
