"""Shared test fixtures. JAX runs on the CPU; tests that need several devices or processes
start subprocesses with their own XLA_FLAGS (the device count is fixed at JAX start-up)."""

import os
import subprocess
import sys

import pytest

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
EXPERIMENTS = os.path.join(REPO, "experiments")


def run_python(code: str, *, devices: int = 1, env: dict | None = None, timeout: int = 240,
               check: bool = True) -> subprocess.CompletedProcess:
  """Runs ``code`` in a fresh Python with ``devices`` simulated CPU devices."""
  environment = dict(os.environ)
  environment["XLA_FLAGS"] = f"--xla_force_host_platform_device_count={devices}"
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
