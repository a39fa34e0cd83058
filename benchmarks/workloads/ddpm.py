"""DDPM U-Net training step and sampling: jaxgen's diffusion family vs diffusers' ``UNet2DModel``.

Both: Ho et al.'s U-Net at a CPU size, 32x32x3 images, ch 32, multipliers (1, 2), one residual
block per level (two on the way up), single-head self-attention at 16x16 and in the middle,
GroupNorm of 8 groups, dropout 0.1, sinusoidal time embedding of 4 ch; T = 1000 linear betas
1e-4 -> 0.02, epsilon prediction, L_simple (MSE to the noise) on a batch of 16, Adam 2e-4.
jaxgen's side is ``experiments/ddpm_cifar10.py`` with those model overrides.
Sampling: ``sample_batch(quick)`` images (1 with --quick, else 16) by 1,000 ancestral steps (diffusers' ``DDPMScheduler``) and by
50 deterministic DDIM steps (``DDIMScheduler``, eta 0), clipping x_0 to [-1, 1] on both sides.

jaxgen's side also reports its step's FLOPs (XLA's cost analysis of the compiled step, and the
analytic count of ``benchmarks/flops.py``), the achieved FLOP/s and the MFU against this device's
measured matmul peak, and (without ``--quick``: one more compile) the same step under
``train.compute_dtype=bfloat16``, mixed precision.
"""

from benchmarks import common

PEER = "diffusers"
DESCRIPTION = "DDPM U-Net 32x32 (ch 32, mult 1-2, attn 16), batch 16, Adam 2e-4; sampling"
BATCH = 16
CH = 32
CH_MULT = (1, 2)
NUM_RES_BLOCKS = 1
ATTN_RESOLUTIONS = (16,)
NUM_GROUPS = 8
DROPOUT = 0.1
LEARNING_RATE = 2e-4
TIMESTEPS = 1000
DDIM_STEPS = 50


def sample_batch(quick: bool) -> int:
  """Images drawn per sampling run: 1,000 U-Net calls each, the slowest part on a CPU."""
  return 1 if quick else BATCH


def attention_resolutions(size: int) -> tuple[int, ...]:
  """``ATTN_RESOLUTIONS`` (given at 32x32) on ``size`` x ``size`` images: at the same levels."""
  return tuple(r * size // 32 for r in ATTN_RESOLUTIONS)


def jaxgen_overrides(batch: int = BATCH, size: int = 32) -> list[str]:
  return [f"train.batch_size={batch}", f"model.ch={CH}", f"model.ch_mult={CH_MULT}",
          f"model.num_res_blocks={NUM_RES_BLOCKS}",
          f"model.attn_resolutions={attention_resolutions(size)}",
          f"model.num_groups={NUM_GROUPS}", f"model.dropout={DROPOUT}",
          f"diffusion.num_timesteps={TIMESTEPS}", "diffusion.schedule=linear",
          f"optimizer.learning_rate={LEARNING_RATE}", "eval.batch_size=16"]


def jaxgen_run(compute_dtype: str = "float32"):
  """jaxgen's side as the runner builds it, and the synthetic data it trains on."""
  from benchmarks.workloads import jax_helpers
  overrides = jaxgen_overrides() + [f"train.compute_dtype={compute_dtype}"]
  return jax_helpers.build_run("ddpm_cifar10", overrides), common.signed_data


def analytic_train_flops(batch: int = BATCH, padding_taps: bool = True) -> int:
  from benchmarks import flops
  return flops.unet_train_flops(batch, 32, 3, 3, CH, CH_MULT, NUM_RES_BLOCKS, ATTN_RESOLUTIONS,
                                padding_taps)


def flops_entry(run, state, batches, step_ms: float, peak: dict) -> dict:
  """The step's FLOPs by XLA's cost analysis of the compiled step and by the analytic count (model
  FLOPs: every tap; and only the taps on the image, which is what XLA counts), the achieved model
  FLOP/s and the MFU against ``peak``."""
  import jax
  from benchmarks import flops
  compiled = flops.compiled_flops(run.train_step_fn, state, batches[0], jax.random.PRNGKey(0))
  model = analytic_train_flops(run.config.train.batch_size)
  on_image = analytic_train_flops(run.config.train.batch_size, padding_taps=False)
  seconds = step_ms / 1e3
  return {"compiled_per_step": compiled, "analytic_per_step": model,
          "analytic_image_taps_per_step": on_image, "compiled_over_analytic": compiled / on_image,
          "achieved_flops_per_s": model / seconds, "mfu": flops.mfu(model, seconds, peak["flops_per_s"])}


def jaxgen_side(quick: bool) -> dict:
  import jax
  from benchmarks import flops
  from benchmarks.workloads import jax_helpers
  run, make = jaxgen_run()
  batches = jax_helpers.synthetic_batches(run, make)
  result, state = jax_helpers.train(run, batches, quick)
  peak = flops.matmul_peak()
  result["matmul_peak"] = peak
  result["flops"] = flops_entry(run, state, batches, result["step_ms"]["median"], peak)
  if not quick:  # another compile of the step: left out of --quick's 10 minutes
    mixed, _ = jaxgen_run("bfloat16")
    mixed_result, mixed_state = jax_helpers.train(mixed, batches, quick)
    result["bfloat16"] = {"step_ms": mixed_result["step_ms"], "compiles": mixed_result["compiles"],
                          "flops": flops_entry(mixed, mixed_state, batches,
                                               mixed_result["step_ms"]["median"], peak)}
    del mixed_state
  num = sample_batch(quick)
  generate = lambda sampler, steps: (
      lambda state, rng: run.experiment.sample(state, rng, num, sampler=sampler, num_steps=steps))
  result["sampling_s"], result["sampling_compile_s"] = {}, {}
  for name, sampler, steps in (("ancestral_1000", "ancestral", TIMESTEPS), ("ddim_50", "ddim", DDIM_STEPS)):
    timing = jax_helpers.time_sampler(generate(sampler, steps), state, jax.random.PRNGKey(1))
    result["sampling_s"][name] = timing["seconds"]
    result["sampling_compile_s"][name] = timing["compile_s"]
  result["sample_batch"] = num
  return result


def build_peer_unet(size: int = 32):
  """diffusers' UNet2DModel laid out as jaxgen's U-Net (see the module docstring) for images of
  ``size`` x ``size``."""
  from diffusers import UNet2DModel
  down, up = [], []
  resolution, attention = size, attention_resolutions(size)
  for mult in CH_MULT:
    down.append("AttnDownBlock2D" if resolution in attention else "DownBlock2D")
    up.insert(0, "AttnUpBlock2D" if resolution in attention else "UpBlock2D")
    resolution //= 2
  return UNet2DModel(
      sample_size=size, in_channels=3, out_channels=3, layers_per_block=NUM_RES_BLOCKS,
      block_out_channels=tuple(CH * m for m in CH_MULT), down_block_types=tuple(down),
      up_block_types=tuple(up), norm_num_groups=NUM_GROUPS, dropout=DROPOUT,
      attention_head_dim=None, add_attention=True)


def peer_train_step(unet, scheduler, optimizer):
  """One L_simple update of ``unet`` on a batch x0: [B, 3, 32, 32]."""
  import torch
  import torch.nn.functional as F

  def step(x0):
    noise = torch.randn_like(x0)
    t = torch.randint(0, TIMESTEPS, (x0.shape[0],))
    loss = F.mse_loss(unet(scheduler.add_noise(x0, noise, t), t).sample, noise)
    optimizer.zero_grad(set_to_none=True)
    loss.backward()
    optimizer.step()
    return loss

  return step


def peer_side(quick: bool) -> dict:
  import torch
  from diffusers import DDIMScheduler, DDPMScheduler

  from benchmarks.workloads import torch_helpers
  torch_helpers.setup()
  schedule = dict(num_train_timesteps=TIMESTEPS, beta_schedule="linear", beta_start=1e-4,
                  beta_end=0.02, clip_sample=True, clip_sample_range=1.0)
  ddpm, ddim = DDPMScheduler(**schedule), DDIMScheduler(**schedule)
  unet = build_peer_unet()
  unet.train()
  optimizer = torch.optim.Adam(unet.parameters(), lr=LEARNING_RATE)
  batches = torch_helpers.synthetic_batches((BATCH, 3, 32, 32), common.signed_data)
  result = torch_helpers.train(peer_train_step(unet, ddpm, optimizer), batches,
                               torch_helpers.count_params(unet), quick,
                               config="diffusers UNet2DModel + DDPMScheduler.add_noise")
  unet.eval()
  num = sample_batch(quick)

  def sampler(scheduler, steps, limit=None):
    def draw():
      scheduler.set_timesteps(steps)
      x = torch.randn(num, 3, 32, 32)
      for t in scheduler.timesteps[:limit]:
        x = scheduler.step(unet(x, t).sample, t, x).prev_sample
      return x
    return draw

  result["sampling_s"] = {
      "ancestral_1000": torch_helpers.time_sampler(sampler(ddpm, TIMESTEPS),
                                                   warmup=sampler(ddpm, TIMESTEPS, 3))["seconds"],
      "ddim_50": torch_helpers.time_sampler(sampler(ddim, DDIM_STEPS),
                                            warmup=sampler(ddim, DDIM_STEPS, 3))["seconds"]}
  result["sample_batch"] = num
  return result
