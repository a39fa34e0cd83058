"""The peers' side: PyTorch set up like jaxgen's side (threads, fp32, Adam) and timed the same way.

torch runs eagerly and synchronously on the CPU, so a step has finished when its Python call
returns; no extra synchronisation is needed. Imported only inside the peers' subprocesses.
"""

import time
from typing import Callable, Optional

import numpy as np
import torch

from benchmarks import common


def setup() -> None:
  """The benchmark's thread count, fp32 and a fixed seed."""
  torch.set_num_threads(common.num_threads())
  torch.set_default_dtype(torch.float32)
  torch.manual_seed(0)


def count_params(*modules: torch.nn.Module) -> int:
  """Trainable parameters (batch-norm running statistics are buffers, as in flax's batch_stats)."""
  return sum(p.numel() for m in modules for p in m.parameters() if p.requires_grad)


def synthetic_batches(shape: tuple, make: Callable[[np.random.Generator, tuple], np.ndarray],
                      count: int = 4) -> list:
  """``count`` float32 tensors of ``shape`` (NCHW for images), drawn as jaxgen's side draws them."""
  rng = np.random.default_rng(0)
  return [torch.from_numpy(make(rng, shape).astype(np.float32)) for _ in range(count)]


def train(step: Callable[[torch.Tensor], object], batches: list, params: int, quick: bool,
          counts: Optional[tuple[int, int]] = None, **extra) -> dict:
  """Times ``step(batch)`` (one full optimizer update) over the cycled ``batches``; ``counts``
  (warm-up, timed steps) defaults to ``common.step_counts(quick)``, timed for at least
  ``common.min_timed_seconds(quick)`` (explicit ``counts`` are taken as they are)."""
  index = 0

  def call():
    nonlocal index
    out = step(batches[index % len(batches)])
    index += 1
    return out

  warmup, repeats = counts or common.step_counts(quick)
  times, first_done = common.time_calls(call, lambda _: None, warmup, repeats,
                                       0.0 if counts else common.min_timed_seconds(quick))
  return common.training_result(params, batches[0].shape[0], times, first_done, **extra)


@torch.no_grad()
def time_sampler(function: Callable[[], object], warmup: Callable[[], object] = None,
                 repeats: int = 1) -> dict:
  """Runs ``warmup`` once (a short call that touches the same kernels), then times ``function``."""
  if warmup is not None:
    warmup()
  times = []
  for _ in range(repeats):
    start = time.perf_counter()
    function()
    times.append(time.perf_counter() - start)
  return {"seconds": float(np.median(times)), "runs": repeats}


def train_and_sample_flow(model, batch_shape: tuple, make: Callable, learning_rate: float,
                          quick: bool, num: int, name: str, config: str) -> dict:
  """A normflows model's steps of Adam on ``forward_kld`` (its negative log-likelihood) over
  synthetic batches of ``make``, timed by ``train``, then ``model.sample(num)`` timed as
  ``sampling_s[name]`` (the median of 10 runs, as on jaxgen's side)."""
  optimizer = torch.optim.Adam(model.parameters(), lr=learning_rate)

  def step(x):
    loss = model.forward_kld(x)
    optimizer.zero_grad(set_to_none=True)
    loss.backward()
    optimizer.step()
    return loss

  result = train(step, synthetic_batches(batch_shape, make), count_params(model), quick,
                 config=config)
  model.eval()
  sampling = time_sampler(lambda: model.sample(num), warmup=lambda: model.sample(num), repeats=10)
  result["sampling_s"] = {name: sampling["seconds"]}
  return result
