"""What every benchmark shares: timing statistics, the fresh-subprocess runner, thread settings,
the parameter-count matcher and the result schema.

Each side of a workload (jaxgen's or the peer's) runs in its own fresh Python process, started by
``run_side``: so time-to-first-step includes the imports and the compile, and the peak RSS
(``ru_maxrss``) belongs to that side alone. The child runs ``python -m benchmarks.common
MODULE:FUNCTION [--quick]``, which calls ``FUNCTION(quick)`` and prints its dict as the last line
of stdout, with the wall-clock time of its first finished step and its RSS high-water mark added.

This module imports neither jax nor torch at the top: the parent process (``benchmarks.run``)
and the tests use it without paying for either.
"""

import argparse
import importlib
import json
import math
import os
import resource
import statistics
import subprocess
import sys
import time
from typing import Callable, Dict, Iterable, Optional, Sequence

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PARAM_TOLERANCE = 0.01  # the two sides' parameter counts must agree within 1%
RESULT_MARKER = "BENCHMARK_RESULT "
MAX_REPEAT_FACTOR = 20  # time_calls: at most this many times the requested timed steps
# Keys every side's result has (``compiles`` is jaxgen's only: torch does not compile).
SIDE_KEYS = ("params", "batch_size", "step_ms", "samples_per_s", "first_step_s", "peak_rss_mb")
STAT_KEYS = ("median", "p90", "mean", "min", "n")
# jaxgen.core.compilation_cache.ENV (not imported: this module imports no JAX). Sides run with
# it "off" unless they are given a directory: a user's warm cache would hide the compile.
COMPILATION_CACHE_ENV = "JAXGEN_COMPILATION_CACHE_DIR"
# Set in a side's environment: the child stops after its first step (``time_calls``) and reports
# only when that step finished, the time a relaunch of the same run takes to train.
FIRST_STEP_ONLY = "BENCH_FIRST_STEP_ONLY"


class FirstStepDone(Exception):
  """Raised by ``time_calls`` after the first step when ``FIRST_STEP_ONLY`` is set."""

  def __init__(self, first_done: float):
    super().__init__(first_done)
    self.first_done = first_done


def num_threads() -> int:
  """The thread count both sides use: ``BENCH_THREADS``, else every core of the machine."""
  return int(os.environ.get("BENCH_THREADS", os.cpu_count() or 1))


def thread_environment(threads: int) -> Dict[str, str]:
  """Environment variables that give XLA and torch (OpenMP/MKL) the same ``threads``.

  XLA reads its flags once at start-up, so they go into the child's environment, not code.
  """
  return {
      "BENCH_THREADS": str(threads),
      "XLA_FLAGS": f"--xla_cpu_multi_thread_eigen=true intra_op_parallelism_threads={threads}",
      "OMP_NUM_THREADS": str(threads),
      "MKL_NUM_THREADS": str(threads),
      "JAX_PLATFORMS": "cpu",
      "TF_CPP_MIN_LOG_LEVEL": "3",
  }


def summarize(seconds: Sequence[float]) -> Dict[str, float]:
  """Median, 90th percentile, mean and minimum of step times in milliseconds, and their count.

  The p90 is the nearest-rank percentile (the ceil(0.9 n)-th smallest): it is always one of the
  measured times, so a single slow outlier among 50 steps does not move it.
  """
  if not seconds:
    raise ValueError("summarize needs at least one timing")
  ordered = sorted(s * 1e3 for s in seconds)
  rank = max(math.ceil(0.9 * len(ordered)), 1)
  return {"median": statistics.median(ordered), "p90": ordered[rank - 1],
          "mean": statistics.fmean(ordered), "min": ordered[0], "n": len(ordered)}


def match_params(jaxgen_count: int, peer_count: int,
                 tolerance: float = PARAM_TOLERANCE) -> Dict[str, object]:
  """Whether the two models are the same size: relative difference against the peer's count."""
  if peer_count <= 0 or jaxgen_count <= 0:
    raise ValueError(f"parameter counts must be positive, got {jaxgen_count} and {peer_count}")
  difference = (jaxgen_count - peer_count) / peer_count
  return {"jaxgen": jaxgen_count, "peer": peer_count, "relative_difference": difference,
          "matched": abs(difference) <= tolerance, "tolerance": tolerance}


def ratio(jaxgen_value: Optional[float], peer_value: Optional[float]) -> Optional[float]:
  """jaxgen / peer, or None when either is missing or the peer's is zero."""
  if jaxgen_value is None or peer_value is None or peer_value == 0:
    return None
  return jaxgen_value / peer_value


def time_calls(call: Callable[[], object], sync: Callable[[object], object], warmup: int,
               repeats: int, min_seconds: float = 0.0) -> tuple[list[float], float]:
  """Runs ``call`` once (the first step), ``warmup`` more times, then times ``repeats`` calls.

  Each call is synchronised (``sync`` waits for its result) before the clock stops, so a timing
  is the call's whole work, not its dispatch. With ``min_seconds``, the warm-up lasts at least a
  quarter of it and timing goes on past ``repeats`` until the timed calls add up to it (at most
  ``MAX_REPEAT_FACTOR * repeats`` calls): 50 steps of 4 ms are 0.2 s, too short a window for a
  stable median. -> (per-call seconds, wall-clock time at which the first call finished).
  With ``FIRST_STEP_ONLY`` in the environment it raises ``FirstStepDone`` after the first call.
  """
  sync(call())
  first_done = time.time()
  if os.environ.get(FIRST_STEP_ONLY):
    raise FirstStepDone(first_done)
  warm_start, done = time.perf_counter(), 0
  while done < warmup or time.perf_counter() - warm_start < min_seconds / 4:
    sync(call())
    done += 1
  times = []
  while len(times) < repeats or (sum(times) < min_seconds
                                 and len(times) < MAX_REPEAT_FACTOR * repeats):
    start = time.perf_counter()
    sync(call())
    times.append(time.perf_counter() - start)
  return times, first_done


def step_counts(quick: bool) -> tuple[int, int]:
  """(warm-up steps, timed steps): at least 50 timed steps either way."""
  return (5, 50) if quick else (10, 200)


def min_timed_seconds(quick: bool) -> float:
  """Timed steps go on until they add up to this (``time_calls``): 2 s quick, 10 s otherwise."""
  return 2.0 if quick else 10.0


def training_result(params: int, batch_size: int, times: Sequence[float], first_done: float,
                    **extra) -> dict:
  """A side's training result: step-time statistics, samples/s at the median step, and ``extra``."""
  stats = summarize(times)
  return {"params": int(params), "batch_size": batch_size, "step_ms": stats,
          "samples_per_s": batch_size / (stats["median"] / 1e3), "first_done": first_done, **extra}


def binary_data(rng, shape: tuple):
  """Synthetic binary images (30% ones), like binarized digits. Both sides draw the same."""
  return (rng.uniform(size=shape) < 0.3).astype("float32")


def signed_data(rng, shape: tuple):
  """Synthetic images uniform on [-1, 1], the GAN and diffusion data range."""
  return rng.uniform(-1.0, 1.0, size=shape).astype("float32")


def normal_data(rng, shape: tuple):
  """Synthetic 2-D points (or vectors) from a standard normal."""
  return rng.normal(size=shape).astype("float32")


def dequantized_data(rng, shape: tuple, levels: int = 17):
  """Synthetic images of ``levels`` grey levels dequantized into [0, 1]: (level + u) / levels,
  u ~ U[0, 1), as the digits pipeline hands them to a flow (``data.dequantize``)."""
  levels_drawn = rng.integers(0, levels, size=shape)
  return ((levels_drawn + rng.uniform(size=shape)) / levels).astype("float32")


def peak_rss_mb() -> float:
  """This process's resident-set high-water mark in MiB (Linux reports ru_maxrss in KiB)."""
  return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def run_side(target: str, quick: bool, threads: int, timeout: float = 900.0,
             extra_environment: Optional[Dict[str, str]] = None) -> dict:
  """Runs ``target`` ("module:function") in a fresh Python and returns its result.

  ``first_step_s`` is the time from just before the process was started to the end of its first
  step (imports, model building and compilation included). A failure is returned as
  ``{"error": ...}`` with the child's last output, so one broken side does not stop the run.
  jaxgen's persistent compilation cache is off unless ``extra_environment`` names a directory.
  """
  command = [sys.executable, "-m", "benchmarks.common", target] + (["--quick"] if quick else [])
  environment = dict(os.environ, **thread_environment(threads),
                     **{COMPILATION_CACHE_ENV: "off", **(extra_environment or {})})
  environment.pop("JAX_COMPILATION_CACHE_DIR", None)  # JAX's own cache, read at its import
  started = time.time()
  try:
    child = subprocess.run(command, cwd=REPO, env=environment, capture_output=True, text=True,
                           timeout=timeout)
  except subprocess.TimeoutExpired:
    return {"error": f"timed out after {timeout:.0f} s"}
  lines = [line for line in child.stdout.splitlines() if line.startswith(RESULT_MARKER)]
  if child.returncode != 0 or not lines:
    tail = (child.stdout + child.stderr).strip().splitlines()[-15:]
    return {"error": f"exit status {child.returncode}", "output": tail}
  result = json.loads(lines[-1][len(RESULT_MARKER):])
  if "first_done" in result:
    result["first_step_s"] = result.pop("first_done") - started
  return result


def check_side(result: dict) -> list[str]:
  """Names of the schema keys a successful side's result lacks (empty when complete)."""
  missing = [key for key in SIDE_KEYS if key not in result]
  missing += [f"step_ms.{key}" for key in STAT_KEYS if key not in result.get("step_ms", {})]
  return missing


def compare(jaxgen_side: dict, peer_side: dict) -> dict:
  """The ratios jaxgen/peer of two sides' results and the parameter-count match.

  Time and memory ratios above 1 mean jaxgen is slower or bigger; ``samples_per_s`` above 1
  means jaxgen is faster. ``step_min`` (fastest step against fastest step) is the ratio least
  disturbed by other processes on a shared machine.
  """
  if "error" in jaxgen_side or "error" in peer_side:
    return {}
  ratios = {
      "step_median": ratio(jaxgen_side["step_ms"]["median"], peer_side["step_ms"]["median"]),
      "step_p90": ratio(jaxgen_side["step_ms"]["p90"], peer_side["step_ms"]["p90"]),
      "step_min": ratio(jaxgen_side["step_ms"]["min"], peer_side["step_ms"]["min"]),
      "first_step": ratio(jaxgen_side.get("first_step_s"), peer_side.get("first_step_s")),
      # a relaunch of jaxgen's run (warm compilation cache) against the peer's launch
      "first_step_relaunch": ratio(jaxgen_side.get("first_step_relaunch_s"),
                                   peer_side.get("first_step_s")),
      "peak_rss": ratio(jaxgen_side["peak_rss_mb"], peer_side["peak_rss_mb"]),
      "samples_per_s": ratio(jaxgen_side["samples_per_s"], peer_side["samples_per_s"]),
  }
  for name, seconds in jaxgen_side.get("sampling_s", {}).items():
    ratios[f"sampling_{name}"] = ratio(seconds, peer_side.get("sampling_s", {}).get(name))
  return {"ratios": ratios, "params": match_params(jaxgen_side["params"], peer_side["params"])}


def versions(packages: Iterable[str]) -> Dict[str, Optional[str]]:
  """Installed versions of ``packages`` from their metadata (None if absent), without importing."""
  from importlib import metadata
  found = {}
  for name in packages:
    try:
      found[name] = metadata.version(name)
    except metadata.PackageNotFoundError:
      found[name] = None
  return found


def _main(argv: Optional[list[str]] = None) -> None:
  parser = argparse.ArgumentParser(description="Runs one side of a benchmark in this process.")
  parser.add_argument("target", help="module:function, e.g. benchmarks.workloads.vae:jaxgen_side")
  parser.add_argument("--quick", action="store_true")
  args = parser.parse_args(argv)
  module_name, _, function_name = args.target.partition(":")
  function = getattr(importlib.import_module(module_name), function_name)
  try:
    result = function(args.quick)
  except FirstStepDone as done:
    result = {"first_done": done.first_done}
  result["peak_rss_mb"] = peak_rss_mb()
  result["threads"] = num_threads()
  print(RESULT_MARKER + json.dumps(result), flush=True)


if __name__ == "__main__":
  # The module the sides import, not this __main__ copy: its FirstStepDone is the one they raise.
  from benchmarks import common
  common._main()
