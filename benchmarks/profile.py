"""Where a jaxgen training step spends its time: ``python -m benchmarks.profile WORKLOAD [--steps N]``.

Runs a workload's jaxgen side (``benchmarks.workloads.<WORKLOAD>.jaxgen_run``: the same config,
batch and runner ``train_step`` that ``benchmarks.run`` times) under ``jax.profiler.trace`` and
reads the trace back with ``jax.profiler.ProfileData``. Each traced event named after an
instruction of the compiled step (an XLA fusion or thunk) is charged to the op that instruction
came from, read from the compiled HLO's ``op_name`` metadata, e.g.
``jit(train_step)/transpose(jvp(UNet))/ResnetBlock_6/Conv_0/conv_general_dilated``:

- ``pass``: ``backward`` when the op sits under ``transpose(...)`` (the VJP), else ``forward``;
- ``op``: the primitive the metadata names (``conv_general_dilated``, ``dot_general``, ...); for a
  fusion, its root's (a backward matmul can read ``transpose``);
- ``block``: ``attention`` for ops inside a module whose name contains "Attention", else ``-``.

Prints milliseconds per step by (pass, op, block), then the slowest instructions with their output
shapes: for a convolution's backward pass an output shaped like the kernel ([kh, kw, C, F] or
[F, kh, kw, C]) is the kernel gradient, one shaped like the activations is the input gradient.
``benchmarks/README.md`` ("Ratios above 1.0") quotes this for the DDPM U-Net.
"""

import argparse
import collections
import glob
import re
import sys
import tempfile
from typing import Dict, List, Tuple

import jax

from benchmarks import common

INSTRUCTION = re.compile(r"^\s*(?:ROOT )?%([\w.\-]+) = (\S+) .*?op_name=\"([^\"]+)\"", re.M)


def instruction_ops(hlo_text: str) -> Dict[str, Tuple[str, str]]:
  """Compiled HLO text -> {instruction name: (output shape, op_name metadata)}."""
  return {m.group(1): (m.group(2), m.group(3)) for m in INSTRUCTION.finditer(hlo_text)}


def categorise(op_name: str) -> Tuple[str, str, str]:
  """``jit(f)/transpose(jvp(Model))/Block_3/Conv_0/conv_general_dilated`` -> (pass, op, block)."""
  parts = op_name.split("/")
  return ("backward" if "transpose(" in op_name else "forward", parts[-1],
          "attention" if any("Attention" in p for p in parts) else "-")


def traced_durations(trace_dir: str, names: set) -> Dict[str, int]:
  """Total nanoseconds per instruction over every traced event named after one in ``names``."""
  from jax.profiler import ProfileData
  totals: Dict[str, int] = collections.Counter()
  for path in glob.glob(f"{trace_dir}/**/*.xplane.pb", recursive=True):
    for plane in ProfileData.from_file(path).planes:
      for line in plane.lines:
        for event in line.events:
          if event.name in names:
            totals[event.name] += event.duration_ns
  return totals


def profile(step, state, batches: list, rng: jax.Array, steps: int) -> Tuple[List[tuple], List[tuple], float]:
  """Traces ``steps`` calls of the jitted ``step(state, batch, rng) -> (state, metrics)`` (state
  donated and threaded) -> (rows (ms/step, pass, op, block) sorted, top instructions
  (ms/step, name, shape, op_name), traced ms/step)."""
  ops = instruction_ops(step.lower(state, batches[0], rng).compile().as_text())
  with tempfile.TemporaryDirectory() as trace_dir:
    with jax.profiler.trace(trace_dir):
      for i in range(steps):
        state, metrics = step(state, batches[i % len(batches)], jax.random.fold_in(rng, i))
        jax.block_until_ready(metrics)
    durations = traced_durations(trace_dir, set(ops))
  per_step = {name: ns / steps / 1e6 for name, ns in durations.items()}
  by_category: Dict[tuple, float] = collections.Counter()
  for name, ms in per_step.items():
    by_category[categorise(ops[name][1])] += ms
  rows = sorted(((ms, *key) for key, ms in by_category.items()), reverse=True)
  top = sorted(((ms, name, *ops[name]) for name, ms in per_step.items()), reverse=True)
  return rows, top, sum(per_step.values())


def main(argv=None) -> None:
  parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
  parser.add_argument("workload", help="a module of benchmarks/workloads with jaxgen_run()")
  parser.add_argument("--steps", type=int, default=3, help="traced steps (after 2 warm-up steps)")
  parser.add_argument("--top", type=int, default=15, help="slowest instructions to list")
  args = parser.parse_args(argv)
  try:
    workload = __import__(f"benchmarks.workloads.{args.workload}", fromlist=["jaxgen_run"])
    build = workload.jaxgen_run
  except (ImportError, AttributeError):
    sys.exit(f"unknown workload {args.workload!r}: one of benchmarks/workloads with jaxgen_run()")
  from benchmarks.workloads import jax_helpers
  run, make = build()
  batches = jax_helpers.synthetic_batches(run, make)
  _, state = jax_helpers.train(run, batches, quick=True, counts=(2, 1))
  rows, top, traced = profile(run.train_step_fn, state, batches, jax.random.PRNGKey(1), args.steps)
  print(f"{args.workload}: {traced:.1f} ms per step in traced instructions "
        f"({args.steps} steps, {common.num_threads()} threads, {jax.default_backend()})")
  print(f"{'ms/step':>8}  {'share':>5}  {'pass':9} {'block':9} op")
  for ms, pass_, op, block in rows:
    if ms >= 0.005 * traced:
      print(f"{ms:8.1f}  {ms / traced:5.1%}  {pass_:9} {block:9} {op}")
  print(f"\nslowest {args.top} instructions:")
  for ms, name, shape, op_name in top[:args.top]:
    print(f"{ms:8.1f}  {name:26} {shape:28} {op_name[-80:]}")


if __name__ == "__main__":
  main()
