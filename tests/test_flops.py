"""benchmarks/flops.py: XLA's compiled FLOP counts against hand counts, and the U-Net's analytic
count against the compiled training step."""

import jax
import jax.numpy as jnp
import pytest

from benchmarks import flops
from jaxgen.nn.unet import UNet


def test_dense_and_conv_counts_are_what_xla_counts():
  a, b = jnp.ones((6, 5)), jnp.ones((5, 7))
  assert flops.compiled_flops(jnp.matmul, a, b) == flops.dense_flops(6, 5, 7) == 2 * 6 * 5 * 7
  x, kernel = jnp.ones((2, 9, 9, 3)), jnp.ones((3, 3, 3, 4))
  for stride in (1, 2):
    conv = lambda x, k: jax.lax.conv_general_dilated(x, k, (stride, stride), "SAME",
                                                     dimension_numbers=("NHWC", "HWIO", "NHWC"))
    counted = flops.compiled_flops(conv, x, kernel)
    assert counted == flops.conv_flops(2, 9, 3, 4, 3, stride, padding_taps=False)
  # Every tap, padding included: 9 x 9 outputs x 9 taps; on the image only, 25 per row.
  assert flops.taps(9) == 27 and flops.taps(9, padding_taps=False) == 25
  assert flops.taps(8, stride=2) == 12 and flops.taps(8, stride=2, padding_taps=False) == 11


def test_unet_training_step_flops_match_the_analytic_count():
  """The compiled gradient step of a small U-Net costs the analytic 3 F - F(first conv) in its
  convolutions, dense layers and attention, plus a few % of elementwise work that XLA counts
  too (GroupNorm, swish, softmax)."""
  size, ch, ch_mult, attn = 16, 16, (1, 2), (8,)
  net = UNet(out_channels=3, ch=ch, ch_mult=ch_mult, num_res_blocks=1, attn_resolutions=attn,
             dropout=0.0, num_groups=4)
  x, t = jnp.zeros((2, size, size, 3)), jnp.zeros((2,), jnp.int32)
  params = jax.jit(net.init)(jax.random.PRNGKey(0), x, t)["params"]  # eager: 200 op compiles
  loss = lambda p, x: jnp.sum(net.apply({"params": p}, x, t) ** 2)
  compiled = flops.compiled_flops(jax.grad(loss), params, x)
  analytic = flops.unet_train_flops(2, size, 3, 3, ch, ch_mult, 1, attn, padding_taps=False)
  assert 1.0 <= compiled / analytic <= 1.12, compiled / analytic
  forward = flops.compiled_flops(lambda p, x: net.apply({"params": p}, x, t), params, x)
  analytic_forward, _ = flops.unet_forward_flops(2, size, 3, 3, ch, ch_mult, 1, attn,
                                                 padding_taps=False)
  assert 1.0 <= forward / analytic_forward <= 1.12, forward / analytic_forward


def test_mfu_and_matmul_peak():
  peak = flops.matmul_peak(size=256, repeats=2)
  assert peak["flops_per_s"] > 0 and peak["dtype"] == "float32" and peak["size"] == 256
  assert flops.mfu(4e9, 0.5, 16e9) == pytest.approx(0.5)


def test_the_table_prints_flops_and_mfu():
  from benchmarks import run
  f = {"analytic_per_step": 2e10, "compiled_per_step": 1.9e10, "compiled_over_analytic": 1.02,
       "achieved_flops_per_s": 4e10, "mfu": 0.5}
  side = {"step_ms": {"median": 500.0}, "flops": f,
          "matmul_peak": {"dtype": "float32", "flops_per_s": 8e10},
          "bfloat16": {"step_ms": {"median": 250.0}, "flops": dict(f, mfu=1.0)}}
  lines = run.flops_lines(side)
  assert len(lines) == 2 and "MFU 50.0% of the float32 matmul peak 80.0 GFLOP/s" in lines[0]
  assert lines[1].startswith("  bfloat16 step 250.0 ms") and "MFU 100.0%" in lines[1]
  assert run.flops_lines({"step_ms": {"median": 1.0}}) == []
