"""Scaling: U-Net step time against batch size and image size (both sides), and jaxgen's compile
time against flow depth.

Batch sizes 16 -> 256 of the ``ddpm`` workload's U-Net at 32x32: per-example cost should fall (or
stay flat) as the batch grows; a side whose time per example rises is memory-bound there. Image
sizes 8 -> 32 at batch 16, attention at the same level of the U-Net (``ddpm.attention_resolutions``).
Compile time of the 2-D RealNVP training step at 4/8/16/32 couplings: jaxgen's flows run the
repeated coupling pairs as one ``lax.scan`` (``bijectors.Repeated``), so compiling should not grow
with depth. Few timed steps per point: these are curves, not the headline numbers.
"""

import os
import time
from typing import Optional

from benchmarks import common
from benchmarks.workloads import ddpm, realnvp

PEER = "diffusers"
DEPTHS = (4, 8, 16, 32)  # RealNVP couplings
# benchmarks.run sets this when the ddpm workload has already timed batch 16 at 32x32 (the same
# step, 50 timed steps): the curves take that point from there instead of compiling it again.
SKIP_SHARED_POINT = "BENCH_SCALING_SKIP_SHARED_POINT"


def batch_sizes(quick: bool) -> tuple[int, ...]:
  """--quick: the ends of the curve that fit its 10 minutes (batch 256 of jaxgen's U-Net takes
  ~2 min to compile and time twice); the full run goes to 256."""
  return (16, 128) if quick else (16, 32, 64, 128, 256)


def image_sizes(quick: bool) -> tuple[int, ...]:
  """U-Net image sizes at batch ddpm.BATCH."""
  return (8, 32) if quick else (8, 16, 32)


def counts(quick: bool, batch: int) -> tuple[int, int]:
  """(warm-up, timed steps) at each point; --quick times a step of batch 128 (~12 s) once."""
  if quick:
    return (0, 1) if batch > 64 else (0, 2)
  return (2, 10)


def points(quick: bool, skip_shared: Optional[bool] = None) -> list[tuple[int, int]]:
  """(batch, image size) of every point: the batch curve at 32x32, the size curve at ddpm.BATCH;
  with ``skip_shared`` (None: whether ``SKIP_SHARED_POINT`` is set in the environment, as
  ``benchmarks.run`` sets it), without (ddpm.BATCH, 32), the ddpm workload's own step."""
  if skip_shared is None:
    skip_shared = bool(os.environ.get(SKIP_SHARED_POINT))
  found = ([(batch, 32) for batch in batch_sizes(quick)]
           + [(ddpm.BATCH, size) for size in image_sizes(quick) if size != 32])
  return [p for p in found if not (skip_shared and p == (ddpm.BATCH, 32))]


def curves(step_ms: dict) -> dict:
  """{(batch, size): ms} -> {"step_ms": {batch: ms} at 32x32, "size_step_ms": {size: ms}}."""
  ordered = sorted(step_ms.items())
  return {"step_ms": {str(b): ms for (b, s), ms in ordered if s == 32},
          "size_step_ms": {str(s): ms for (b, s), ms in sorted(ordered, key=lambda i: i[0][1])
                           if b == ddpm.BATCH}}


def add_shared_point(curve: dict, step_ms: float) -> dict:
  """A side's curves with (ddpm.BATCH, 32x32) taken from the ddpm workload's median step."""
  batches = {**curve.get("step_ms", {}), str(ddpm.BATCH): step_ms}
  sizes = {**curve.get("size_step_ms", {}), "32": step_ms}
  return {**curve, "step_ms": dict(sorted(batches.items(), key=lambda i: int(i[0]))),
          "size_step_ms": dict(sorted(sizes.items(), key=lambda i: int(i[0]))),
          "shared_point_from": "ddpm workload"}


def batch_jaxgen(quick: bool) -> dict:
  from benchmarks.workloads import jax_helpers
  step_ms = {}
  for batch, size in points(quick):
    run = jax_helpers.build_run("ddpm_cifar10", ddpm.jaxgen_overrides(batch, size))
    batches = jax_helpers.synthetic_batches(run, common.signed_data, (size, size, 3))
    result, _ = jax_helpers.train(run, batches, quick, counts(quick, batch))
    step_ms[batch, size] = result["step_ms"]["median"]
  return curves(step_ms)


def batch_peer(quick: bool) -> dict:
  import torch
  from diffusers import DDPMScheduler

  from benchmarks.workloads import torch_helpers
  torch_helpers.setup()
  scheduler = DDPMScheduler(num_train_timesteps=ddpm.TIMESTEPS, beta_schedule="linear",
                            beta_start=1e-4, beta_end=0.02)
  step_ms = {}
  for batch, size in points(quick):
    unet = ddpm.build_peer_unet(size)
    unet.train()
    optimizer = torch.optim.Adam(unet.parameters(), lr=ddpm.LEARNING_RATE)
    step = ddpm.peer_train_step(unet, scheduler, optimizer)
    batches = torch_helpers.synthetic_batches((batch, 3, size, size), common.signed_data, count=2)
    result = torch_helpers.train(step, batches, torch_helpers.count_params(unet), quick,
                                 counts(quick, batch))
    step_ms[batch, size] = result["step_ms"]["median"]
  return curves(step_ms)


def compile_jaxgen(quick: bool) -> dict:
  """Seconds to lower and compile the RealNVP training step, by number of couplings."""
  import jax
  from benchmarks.workloads import jax_helpers
  seconds, params = {}, {}
  for depth in DEPTHS:
    run = jax_helpers.build_run("realnvp_grid25", realnvp.jaxgen_overrides(depth))
    batch = jax_helpers.synthetic_batches(run, common.normal_data)[0]
    state = run.init_fn(jax.random.PRNGKey(0), batch)
    start = time.perf_counter()
    run.train_step_fn.lower(state, batch, jax.random.PRNGKey(1)).compile()
    seconds[str(depth)] = time.perf_counter() - start
    params[str(depth)] = jax_helpers.count_params(state.params)
  return {"compile_s": seconds, "params": params}
