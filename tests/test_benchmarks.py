"""The benchmark harness's logic: timing statistics, the parameter-count matcher, ratios, the
subprocess protocol and the result schema. Nothing here imports torch or times a model."""

import json
import sys
import textwrap
import time

import pytest

from benchmarks import common, run


def side(median_ms=10.0, params=1000, **extra) -> dict:
  """A successful side's result as ``common.run_side`` returns it."""
  return {"params": params, "batch_size": 16,
          "step_ms": {"median": median_ms, "p90": 1.5 * median_ms, "mean": median_ms,
                      "min": 0.5 * median_ms, "n": 50},
          "samples_per_s": 16 / (median_ms / 1e3), "first_step_s": 2.0, "peak_rss_mb": 300.0,
          **extra}


def test_summarize_median_p90_in_milliseconds():
  seconds = [i / 1000 for i in range(1, 101)]  # 1 .. 100 ms
  stats = common.summarize(seconds)
  assert stats["n"] == 100
  assert stats["median"] == pytest.approx(50.5)
  assert stats["p90"] == pytest.approx(90.0)  # nearest rank: the 90th smallest of 100
  assert stats["min"] == pytest.approx(1.0)
  assert stats["mean"] == pytest.approx(50.5)


def test_summarize_p90_is_a_measured_time_and_ignores_order():
  stats = common.summarize([0.003, 0.001, 0.002])
  assert stats["median"] == pytest.approx(2.0)
  assert stats["p90"] == pytest.approx(3.0)  # ceil(0.9 * 3) = 3rd smallest
  assert common.summarize([0.004])["p90"] == pytest.approx(4.0)


def test_summarize_rejects_no_timings():
  with pytest.raises(ValueError):
    common.summarize([])


@pytest.mark.parametrize("jaxgen, peer, matched", [
    (1000, 1000, True), (1010, 1000, True), (990, 1000, True), (1011, 1000, False),
    (139_376, 136_240, False)])
def test_match_params_within_one_percent(jaxgen, peer, matched):
  match = common.match_params(jaxgen, peer)
  assert match["matched"] is matched
  assert match["relative_difference"] == pytest.approx((jaxgen - peer) / peer)
  assert match["tolerance"] == common.PARAM_TOLERANCE


def test_match_params_rejects_empty_models():
  with pytest.raises(ValueError):
    common.match_params(0, 10)


def test_ratio_is_jaxgen_over_peer_and_none_when_missing():
  assert common.ratio(2.0, 4.0) == 0.5
  assert common.ratio(None, 4.0) is None
  assert common.ratio(1.0, 0.0) is None


def test_compare_ratios_and_sampling():
  jaxgen = side(median_ms=5.0, sampling_s={"ddim_50": 1.0}, sampling_compile_s={"ddim_50": 3.0})
  peer = side(median_ms=10.0, params=1005, sampling_s={"ddim_50": 4.0})
  comparison = common.compare(jaxgen, peer)
  ratios = comparison["ratios"]
  assert ratios["step_median"] == pytest.approx(0.5)
  assert ratios["step_p90"] == pytest.approx(0.5)
  assert ratios["step_min"] == pytest.approx(0.5)
  assert ratios["samples_per_s"] == pytest.approx(2.0)
  assert ratios["first_step"] == pytest.approx(1.0)
  assert ratios["sampling_ddim_50"] == pytest.approx(0.25)
  assert comparison["params"]["matched"]


def test_compare_skips_a_failed_side():
  assert common.compare(side(), {"error": "exit status 1"}) == {}


def test_check_side_names_missing_keys():
  assert common.check_side(side()) == []
  broken = side()
  del broken["peak_rss_mb"], broken["step_ms"]["p90"]
  assert common.check_side(broken) == ["peak_rss_mb", "step_ms.p90"]


def test_time_calls_times_at_least_the_requested_steps_and_seconds():
  """Fast calls are timed until they add up to ``min_seconds`` (capped), slow ones ``repeats``."""
  calls = []
  fast = lambda: calls.append(time.sleep(0.001))
  times, _ = common.time_calls(fast, lambda _: None, warmup=2, repeats=5, min_seconds=0.1)
  assert 5 < len(times) <= common.MAX_REPEAT_FACTOR * 5
  assert sum(times) >= 0.1 or len(times) == common.MAX_REPEAT_FACTOR * 5
  assert len(calls) >= 1 + 2 + len(times)  # first call and warm-up are not timed
  times, _ = common.time_calls(lambda: time.sleep(0.03), lambda _: None, warmup=0, repeats=3,
                               min_seconds=0.05)
  assert len(times) == 3  # 3 x 30 ms already exceed 50 ms
  times, _ = common.time_calls(fast, lambda _: None, warmup=0, repeats=4)
  assert len(times) == 4


def test_training_result_has_the_schema():
  result = common.training_result(1234, 32, [0.01] * 50, first_done=5.0, compiles=1)
  result["first_step_s"], result["peak_rss_mb"] = 1.0, 100.0
  assert common.check_side(result) == []
  assert result["samples_per_s"] == pytest.approx(3200.0)
  assert result["compiles"] == 1


def test_thread_environment_sets_both_sides_alike():
  environment = common.thread_environment(3)
  assert "intra_op_parallelism_threads=3" in environment["XLA_FLAGS"]
  assert "--xla_cpu_multi_thread_eigen=true" in environment["XLA_FLAGS"]
  assert environment["OMP_NUM_THREADS"] == environment["BENCH_THREADS"] == "3"


def test_run_side_runs_a_fresh_process(tmp_path, monkeypatch):
  (tmp_path / "fake_side.py").write_text(textwrap.dedent("""
      import os, time
      def side(quick):
        return {"quick": quick, "first_done": time.time(), "threads_seen": os.environ["BENCH_THREADS"],
                "extra": os.environ.get("BENCH_EXTRA")}
      def broken(quick):
        raise RuntimeError("no peer")
  """))
  monkeypatch.setenv("PYTHONPATH", str(tmp_path))
  result = common.run_side("fake_side:side", quick=True, threads=1)
  assert result["quick"] is True and result["threads_seen"] == "1" and result["threads"] == 1
  assert 0.0 < result["first_step_s"] < 60.0
  assert result["peak_rss_mb"] > 0.0 and result["extra"] is None
  assert common.run_side("fake_side:side", True, 1, extra_environment={"BENCH_EXTRA": "1"})["extra"] == "1"
  failed = common.run_side("fake_side:broken", quick=False, threads=1)
  assert failed["error"] == "exit status 1"
  assert any("no peer" in line for line in failed["output"])


def test_a_first_step_only_side_stops_after_its_first_step(tmp_path, monkeypatch):
  """A relaunch (``FIRST_STEP_ONLY``) reports when its first step ended and runs nothing after;
  sides get jaxgen's compilation cache off unless given a directory."""
  (tmp_path / "stepping_side.py").write_text(textwrap.dedent("""
      import os
      from benchmarks import common
      def side(quick):
        steps = []
        common.time_calls(lambda: steps.append(1), lambda _: None, warmup=2, repeats=3)
        return {"steps": len(steps), "cache": os.environ[common.COMPILATION_CACHE_ENV]}
  """))
  monkeypatch.setenv("PYTHONPATH", f"{tmp_path}:{common.REPO}")
  full = common.run_side("stepping_side:side", quick=True, threads=1)
  assert full["steps"] == 1 + 2 + 3 and full["cache"] == "off"
  relaunch = common.run_side("stepping_side:side", True, 1, extra_environment={
      common.FIRST_STEP_ONLY: "1", common.COMPILATION_CACHE_ENV: str(tmp_path)})
  assert "steps" not in relaunch and 0.0 < relaunch["first_step_s"] < 60.0


def test_the_cache_variable_is_jaxgens():
  from jaxgen.core import compilation_cache
  assert common.COMPILATION_CACHE_ENV == compilation_cache.ENV


def test_table_and_json_of_a_full_result():
  jaxgen = side(median_ms=5.0, compiles=1, sampling_s={"ancestral_1000": 2.0},
                sampling_compile_s={"ancestral_1000": 9.0}, first_step_relaunch_s=2.5)
  peer = side(median_ms=10.0, sampling_s={"ancestral_1000": 4.0})
  results = {
      "workloads": {
          "ddpm": {"description": "d", "peer": "diffusers", "jaxgen": jaxgen, "peer_result": peer,
                   **common.compare(jaxgen, peer)},
          "vae": {"description": "v", "peer": "pythae", "jaxgen": side(),
                  "peer_result": {"error": "exit status 1"}}},
      "pixelcnn": {"plain_seconds_per_image": 2.0, "fast_seconds_per_image": 0.1, "speedup": 20.0},
      "sequence": {"batch": 4, "transformer": {
          "new_tokens": 512, "uncached_seconds_per_sequence": 6.0, "cached_seconds_per_sequence": 0.075,
          "speedup": 80.0, "same_samples": True}},
      "scaling": {"batch_jaxgen": {"step_ms": {"16": 10.0, "256": 100.0}},
                  "batch_peer": {"error": "timed out"},
                  "compile_jaxgen": {"compile_s": {"4": 1.0, "32": 1.1}}}}
  text = run.table(results)
  assert "ddpm" in text and "0.50" in text and "ancestral_1000" in text and " 2.5 " in text
  assert results["workloads"]["ddpm"]["ratios"]["first_step_relaunch"] == 1.25
  assert "vae       error" in text and "speed-up 20.0x" in text and "timed out" in text
  assert "transformer: uncached 6.000 s, cached 0.075 s per 512 tokens, speed-up 80.0x" in text
  assert json.loads(json.dumps(results)) == results


def test_workload_modules_import_without_jax_or_torch():
  # The parent process imports every workload module; the heavy imports stay in the sides.
  torch_loaded = "torch" in sys.modules
  for name in run.WORKLOADS + ("scaling",):
    __import__(f"benchmarks.workloads.{name}")
  assert ("torch" in sys.modules) == torch_loaded
  for name in run.WORKLOADS:
    module = sys.modules[f"benchmarks.workloads.{name}"]
    assert callable(module.jaxgen_side) and callable(module.peer_side)
    assert module.PEER and module.DESCRIPTION


def test_peer_vae_matches_jaxgen_parameter_count():
  pytest.importorskip("torch")
  pytest.importorskip("pythae")
  from benchmarks.workloads import torch_helpers, vae
  layer = lambda fan_in, fan_out: fan_in * fan_out + fan_out  # a dense layer with bias
  jaxgen_count = (layer(vae.INPUTS, 256) + layer(256, 128) + layer(128, 2 * vae.LATENT)
                  + layer(vae.LATENT, 128) + layer(128, 256) + layer(256, vae.INPUTS))
  peer_count = torch_helpers.count_params(vae.build_peer_model())
  assert common.match_params(jaxgen_count, peer_count)["relative_difference"] == 0.0


def test_dequantized_data_is_levels_plus_uniform_noise_in_unit_interval():
  import numpy as np
  x = common.dequantized_data(np.random.default_rng(0), (64, 8, 8, 1))
  assert x.dtype == np.float32 and x.shape == (64, 8, 8, 1)
  assert 0.0 <= x.min() and x.max() <= 1.0
  assert set(np.unique(np.floor(x * 17)).astype(int)) == set(range(17))


def _glow_jaxgen_count(hidden: int, steps: int) -> int:
  """jaxgen's 8x8x1 Glow of the glow workload, counted by hand: per step an actnorm, an LU 1x1
  convolution (full lower and upper matrices, log|s|) and the masked ConvNet (C channels in, 2C
  out, ZeroConv's per-channel scale); the split prior's 3x3 ZeroConv 2 -> 4 and the top actnorm."""
  def step(c):
    return (2 * c + 2 * c * c + c + 9 * c * hidden + hidden + hidden * hidden + hidden
            + 9 * hidden * 2 * c + 2 * c + 2 * c)
  return steps * (step(4) + step(8)) + (9 * 2 * 4 + 4 + 4) + 2 * 8


def test_glow_jaxgen_parameter_count():
  import os

  import jax
  import jax.numpy as jnp
  from benchmarks.workloads import glow
  from jaxgen.core import config as config_lib
  from jaxgen.families.flows.model import build_flow
  config = config_lib.load_config(os.path.join(common.REPO, "experiments", "glow_digits.py"))
  config_lib.apply_overrides(config, glow.jaxgen_overrides())
  flow = build_flow(config.model, glow.IMAGE)
  x = jnp.full((2, *glow.IMAGE), 0.5)
  variables = jax.eval_shape(lambda: flow.init(jax.random.PRNGKey(0), x, method=flow.log_prob))
  count = sum(leaf.size for leaf in jax.tree.leaves(variables["params"]))
  assert count == _glow_jaxgen_count(glow.HIDDEN, glow.STEPS) == 235_520


def test_peer_glow_matches_jaxgen_parameter_count():
  pytest.importorskip("torch")
  pytest.importorskip("normflows")
  from benchmarks.workloads import glow, torch_helpers
  peer_count = torch_helpers.count_params(glow.build_peer_model())
  match = common.match_params(_glow_jaxgen_count(glow.HIDDEN, glow.STEPS), peer_count)
  assert peer_count == 234_480 and match["matched"]


def test_profile_categorises_op_names():
  from benchmarks import profile
  assert profile.categorise("jit(train_step)/transpose(jvp(UNet))/ResnetBlock_6/Conv_0/"
                            "conv_general_dilated") == ("backward", "conv_general_dilated", "-")
  assert profile.categorise("jit(train_step)/jvp(UNet)/AttentionBlock_0/dot_general") == (
      "forward", "dot_general", "attention")
  hlo = ('  %fusion.3 = f32[8,4]{1,0} fusion(%p0), kind=kLoop, calls=%c, '
         'metadata={op_name="jit(f)/transpose(jvp(M))/Dense_0/dot_general" stack_frame_id=1}')
  assert profile.instruction_ops(hlo) == {
      "fusion.3": ("f32[8,4]{1,0}", "jit(f)/transpose(jvp(M))/Dense_0/dot_general")}


def test_profile_charges_a_traced_step_to_its_matmul_and_its_backward_pass():
  """A step whose work is one matmul and its gradient: the trace is charged to the forward
  dot_general and to the backward pass, and nothing is charged twice (the rows sum to the traced
  total)."""
  import jax
  import jax.numpy as jnp
  from benchmarks import profile

  def step(w, batch, rng):
    loss, grad = jax.value_and_grad(lambda w: jnp.sum(jnp.tanh(batch["x"] @ w) ** 2))(w)
    return w - 1e-3 * grad, {"loss": loss}

  w = jnp.ones((256, 256)) / 256
  batches = [{"x": jnp.ones((512, 256))}]
  rows, top, traced = profile.profile(jax.jit(step), w, batches, jax.random.PRNGKey(0), steps=2)
  assert ("forward", "dot_general") in {(pass_, op) for _, pass_, op, _ in rows}
  assert "backward" in {pass_ for _, pass_, _, _ in rows}
  assert traced > 0 and sum(row[0] for row in rows) == pytest.approx(traced)
  assert all(ms >= 0 for ms, *_ in top)


def test_scaling_points_cover_the_batch_and_image_size_ranges(monkeypatch):
  from benchmarks.workloads import ddpm, scaling
  for quick, largest_batch in ((True, 128), (False, 256)):
    points = scaling.points(quick, skip_shared=False)
    batches = sorted(b for b, s in points if s == 32)
    assert batches[0] == 16 and batches[-1] == largest_batch
    sizes = sorted(s for b, s in points if b == ddpm.BATCH)
    assert sizes[0] == 8 and sizes[-1] == 32
    assert len(set(points)) == len(points)  # batch 16 at 32x32 is measured once, used twice
    assert (ddpm.BATCH, 32) not in scaling.points(quick, skip_shared=True)
    monkeypatch.setenv(scaling.SKIP_SHARED_POINT, "1")  # as benchmarks.run sets it
    assert scaling.points(quick) == scaling.points(quick, skip_shared=True)
    monkeypatch.delenv(scaling.SKIP_SHARED_POINT)
    assert scaling.points(quick) == points
  curves = scaling.curves({(128, 32): 90.0, (16, 8): 1.0, (16, 16): 3.0})
  curves = scaling.add_shared_point(curves, 10.0)
  assert curves["step_ms"] == {"16": 10.0, "128": 90.0}
  assert curves["size_step_ms"] == {"8": 1.0, "16": 3.0, "32": 10.0}
  assert list(curves["size_step_ms"]) == ["8", "16", "32"]
  assert ddpm.attention_resolutions(32) == ddpm.ATTN_RESOLUTIONS and ddpm.attention_resolutions(8) == (4,)
  line = run.table({"workloads": {}, "scaling": {
      "batch_jaxgen": curves, "batch_peer": {"error": "x"}, "compile_jaxgen": {"compile_s": {}}}})
  assert "B=128: 90 ms" in line and "8x8: 1 ms" in line
