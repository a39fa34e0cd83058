"""The input pipeline against the train step it feeds: fashion_mnist, batch 128, dequantized.

One process, three measurements, each after a warm-up:
  stream     examples/s of ``jaxgen.data.load``'s grain stream alone (host batches, no step);
  synthetic  the train step on one batch already on the devices, reused (input costs nothing);
  pipeline   the train step fed by ``Run.train_batches()``, the stream ``jaxgen train`` uses
             (grain read threads, then a thread that puts batches on the devices ahead).
The step is ``vae_digits``'s MLP VAE on fashion_mnist (784-256-128-16, discretized logistic).
pipeline / synthetic near 1 means prefetch hides the input; on a CPU the two also share cores.

    python -m benchmarks.input_pipeline [--steps 300] [--out F.json]     # same command on a GPU
"""

import argparse
import json
import time

import jax

from jaxgen import data
from jaxgen.core import config as config_lib
from jaxgen.core import runner, sharding

DATASET, BATCH = "fashion_mnist", 128


def _config():
  config = config_lib.load_config("experiments/vae_digits.py")
  config.data.name = DATASET
  config.data.dequantize = False  # the discretized logistic models the levels themselves
  config.train.batch_size = BATCH
  return config


def stream_rate(batches: int) -> float:
  """Examples per second of the dequantized stream alone."""
  iterator = iter(data.load(DATASET, "train", BATCH, seed=0, dequantize=True))
  for _ in range(10):
    next(iterator)
  start = time.perf_counter()
  for _ in range(batches):
    next(iterator)
  return batches * BATCH / (time.perf_counter() - start)


def step_times(steps: int) -> dict:
  """Seconds per train step on synthetic device batches and on the real stream."""
  run = runner.Run(_config())
  state = run.initial_state(jax.random.PRNGKey(0))
  rng = jax.random.PRNGKey(1)

  def timed(next_batch) -> float:
    nonlocal state
    for i in range(10):  # warm-up: compile, fill the prefetch buffers
      state, metrics = run.train_step_fn(state, next_batch(), jax.random.fold_in(rng, i))
    jax.block_until_ready(metrics)
    start = time.perf_counter()
    for i in range(steps):
      state, metrics = run.train_step_fn(state, next_batch(), jax.random.fold_in(rng, i))
    jax.block_until_ready(metrics)
    return (time.perf_counter() - start) / steps

  stream = run.train_batches()
  fixed = next(stream)
  synthetic = timed(lambda: fixed)
  pipeline = timed(lambda: next(stream))
  return {"synthetic_step_ms": 1e3 * synthetic, "pipeline_step_ms": 1e3 * pipeline,
          "pipeline_over_synthetic": pipeline / synthetic,
          "step_examples_per_s": BATCH / synthetic}


def main() -> None:
  parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
  parser.add_argument("--steps", type=int, default=300)
  parser.add_argument("--out", default=None)
  args = parser.parse_args()
  result = {"device": jax.devices()[0].device_kind, "devices": jax.device_count(),
            "dataset": DATASET, "batch_size": BATCH, "steps": args.steps,
            "read_threads": data.loader.READ_THREADS,
            "prefetch_batches": data.loader.PREFETCH_BATCHES,
            "device_prefetch": runner.DEVICE_PREFETCH,
            "stream_examples_per_s": stream_rate(args.steps), **step_times(args.steps)}
  print(json.dumps(result, indent=2))
  if args.out and sharding.is_main_process():
    with open(args.out, "w") as f:
      json.dump(result, f, indent=2)


if __name__ == "__main__":
  main()
