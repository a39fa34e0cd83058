"""jaxgen against its peers, side by side: ``python -m benchmarks.run [--quick] [--only NAME] [--out F]``.

For each workload (``benchmarks.workloads.WORKLOADS``) jaxgen's side and the peer's each run in a
fresh subprocess with the same thread count: steady-state training step time (median, p90),
time to first step, peak RSS, samples/s, parameter counts and the ratios jaxgen/peer. Then
the cached vs plain samplers (PixelCNN: ``benchmarks/pixelcnn_sampling.py``; the Transformer
and LSTM: ``benchmarks/sequence_sampling.py``) and the scaling curves,
plotted next to the JSON. Prints a table; writes everything with the machine and the versions
to ``--out``.
"""

import argparse
import datetime
import json
import os
import platform
import subprocess
import sys
import tempfile
from typing import Optional

from benchmarks import common
from benchmarks.workloads import WORKLOADS

EXTRAS = ("pixelcnn", "sequence", "scaling")
PACKAGES = ("jax", "jaxlib", "flax", "optax", "numpy", "torch", "pythae", "normflows", "diffusers")
SCHEMA_VERSION = 1


def machine() -> dict:
  """CPU model, core count, Python, the date and the load average (the machine may be shared)."""
  model = platform.processor()
  try:
    lscpu = subprocess.run(["lscpu"], capture_output=True, text=True, check=True).stdout
    model = next((line.split(":", 1)[1].strip() for line in lscpu.splitlines()
                  if line.startswith("Model name")), model)
  except (OSError, subprocess.CalledProcessError):
    pass
  return {"cpu": model, "cores": os.cpu_count(), "python": platform.python_version(),
          "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
          "load_average_start": list(os.getloadavg())}


def run_workload(name: str, quick: bool, threads: int) -> dict:
  """Both sides of a workload. jaxgen's runs with an empty compilation cache of its own (the first
  launch), then once more up to its first step on that cache: ``first_step_relaunch_s``, what a
  resume or a repeated run waits."""
  module = f"benchmarks.workloads.{name}"
  workload = __import__(module, fromlist=["PEER", "DESCRIPTION"])
  with tempfile.TemporaryDirectory(prefix="jaxgen-bench-cache-") as cache:
    environment = {common.COMPILATION_CACHE_ENV: cache}
    jaxgen_side = common.run_side(f"{module}:jaxgen_side", quick, threads, extra_environment=environment)
    relaunch = common.run_side(f"{module}:jaxgen_side", quick, threads,
                               extra_environment={**environment, common.FIRST_STEP_ONLY: "1"})
  peer_side = common.run_side(f"{module}:peer_side", quick, threads)
  for result in (jaxgen_side, peer_side):
    missing = [] if "error" in result else common.check_side(result)
    if missing:
      result["error"] = f"result lacks {', '.join(missing)}"
  if "error" not in jaxgen_side:
    jaxgen_side["first_step_relaunch_s"] = relaunch.get("first_step_s")
  return {"description": workload.DESCRIPTION, "peer": workload.PEER, "jaxgen": jaxgen_side,
          "peer_result": peer_side, **common.compare(jaxgen_side, peer_side)}


def run_sampling(name: str, quick: bool, threads: int) -> dict:
  """A cached-vs-plain sampler comparison, ``benchmarks/<name>_sampling.py``."""
  if not os.path.exists(os.path.join(common.REPO, "benchmarks", f"{name}_sampling.py")):
    return {"error": f"benchmarks/{name}_sampling.py is not there"}
  return common.run_side(f"benchmarks.{name}_sampling:run", quick, threads)


def run_scaling(quick: bool, threads: int, plot_path: str, ddpm: Optional[dict] = None) -> dict:
  """The scaling curves; with ``ddpm`` (that workload's entry, both sides measured) their
  (batch 16, 32x32) point is its median step instead of another compile and a few steps."""
  from benchmarks.workloads import scaling
  target = "benchmarks.workloads.scaling:"
  shared = ddpm and "error" not in ddpm["jaxgen"] and "error" not in ddpm["peer_result"]
  environment = {scaling.SKIP_SHARED_POINT: "1"} if shared else {}
  result = {key: common.run_side(target + key, quick, threads, extra_environment=environment)
            for key in ("batch_jaxgen", "batch_peer")}
  result["compile_jaxgen"] = common.run_side(target + "compile_jaxgen", quick, threads)
  if shared:
    for key, side in (("batch_jaxgen", "jaxgen"), ("batch_peer", "peer_result")):
      if "error" not in result[key]:
        result[key] = scaling.add_shared_point(result[key], ddpm[side]["step_ms"]["median"])
  result["plot"] = plot_scaling(result, plot_path)
  return result


def plot_scaling(result: dict, path: str) -> str | None:
  """Step time per example against batch size and per step against image size, and compile time
  against depth -> the PNG's path."""
  import matplotlib
  matplotlib.use("Agg")
  import matplotlib.pyplot as plt
  figure, (left, middle, right) = plt.subplots(1, 3, figsize=(15, 4))
  for key, label in (("batch_jaxgen", "jaxgen"), ("batch_peer", "diffusers")):
    curve = result[key].get("step_ms", {})
    if curve:
      sizes = sorted(curve, key=int)
      left.plot([int(b) for b in sizes], [curve[b] / int(b) for b in sizes], "o-", label=label)
    curve = result[key].get("size_step_ms", {})
    if curve:
      sizes = sorted(curve, key=int)
      middle.plot([int(s) for s in sizes], [curve[s] for s in sizes], "o-", label=label)
  left.set(xscale="log", yscale="log", xlabel="batch size", ylabel="ms per example (median step)",
           title="DDPM U-Net 32x32 training step")
  left.legend()
  middle.set(xscale="log", yscale="log", xlabel="image size (pixels per side)",
             ylabel="ms per step (median)", title="DDPM U-Net training step, batch 16")
  middle.legend()
  compile_s = result["compile_jaxgen"].get("compile_s", {})
  if compile_s:
    depths = sorted(compile_s, key=int)
    right.plot([int(d) for d in depths], [compile_s[d] for d in depths], "o-", label="jaxgen")
    right.set_ylim(bottom=0)
  right.set(xlabel="RealNVP couplings", ylabel="seconds", title="compile time of the train step")
  right.legend()
  figure.tight_layout()
  figure.savefig(path, dpi=100)
  plt.close(figure)
  return os.path.basename(path)


def _fmt(value, spec: str = ".3g") -> str:
  return "-" if value is None else format(value, spec)


COLUMNS = (("workload", 9), ("params jaxgen/peer (diff)", 27), ("step ms j/p", 18),
           ("ratio", 6), ("p90 ratio", 9), ("min ratio", 9), ("1st step s j/p", 15), ("relaunch s", 10), ("RSS MB j/p", 12),
           ("samples/s j/p", 15), ("compiles", 8))


def _row(cells) -> str:
  return " ".join(str(cell).ljust(width) for cell, (_, width) in zip(cells, COLUMNS))


def flops_lines(side: dict) -> list[str]:
  """The step's FLOPs and MFU (``benchmarks/flops.py``), and its bfloat16 step, where measured."""
  lines, peak = [], side.get("matmul_peak")
  for label, entry in (("", side), ("bfloat16 ", side.get("bfloat16"))):
    f = (entry or {}).get("flops")
    if not f or not peak:
      continue
    step_ms = entry["step_ms"]["median"]
    lines.append(f"  {label}step {step_ms:.1f} ms: {f['analytic_per_step'] / 1e9:.2f} model GFLOP "
                 f"(XLA counts {f['compiled_per_step'] / 1e9:.2f}, {f['compiled_over_analytic']:.3f}x "
                 f"the analytic taps on the image), {f['achieved_flops_per_s'] / 1e9:.1f} GFLOP/s, "
                 f"MFU {f['mfu']:.1%} of the {peak['dtype']} matmul peak "
                 f"{peak['flops_per_s'] / 1e9:.1f} GFLOP/s")
  return lines


def table(results: dict) -> str:
  """The printed summary: one line per workload, its sampling timings, then the extras."""
  lines = [_row(name for name, _ in COLUMNS)]
  lines.append("-" * len(lines[0]))
  for name, entry in results["workloads"].items():
    j, p = entry["jaxgen"], entry["peer_result"]
    if "error" in j or "error" in p:
      lines.append(f"{name:<9} error: jaxgen {j.get('error', 'ok')}; {entry['peer']} "
                   f"{p.get('error', 'ok')}")
      continue
    ratios, params = entry["ratios"], entry["params"]
    lines.append(_row((
        name, f"{params['jaxgen']:,}/{params['peer']:,} ({params['relative_difference']:+.1%})",
        f"{j['step_ms']['median']:.2f}/{p['step_ms']['median']:.2f}",
        _fmt(ratios["step_median"], ".2f"), _fmt(ratios["step_p90"], ".2f"),
        _fmt(ratios["step_min"], ".2f"),
        f"{_fmt(j.get('first_step_s'), '.1f')}/{_fmt(p.get('first_step_s'), '.1f')}",
        _fmt(j.get("first_step_relaunch_s"), ".1f"),
        f"{j['peak_rss_mb']:.0f}/{p['peak_rss_mb']:.0f}",
        f"{j['samples_per_s']:.0f}/{p['samples_per_s']:.0f}", j.get("compiles", "-"))))
    for sampler, seconds in j.get("sampling_s", {}).items():
      peer_seconds = p.get("sampling_s", {}).get(sampler)
      lines.append(f"  sampling {sampler}: jaxgen {seconds:.3f} s (+ compile "
                   f"{j['sampling_compile_s'][sampler]:.1f} s), {entry['peer']} "
                   f"{_fmt(peer_seconds, '.3f')} s, ratio {_fmt(ratios.get('sampling_' + sampler), '.2f')}")
    lines += flops_lines(j)
  pixelcnn = results.get("pixelcnn")
  if pixelcnn:
    lines.append("pixelcnn  " + (f"plain {pixelcnn['plain_seconds_per_image']:.3f} s/image, fast "
                                  f"{pixelcnn['fast_seconds_per_image']:.3f} s/image, speed-up "
                                  f"{pixelcnn['speedup']:.1f}x" if "error" not in pixelcnn
                                  else f"error: {pixelcnn['error']}"))
  sequence = results.get("sequence")
  if sequence:
    lines += [f"sequence  {name}: uncached {entry['uncached_seconds_per_sequence']:.3f} s, cached "
              f"{entry['cached_seconds_per_sequence']:.3f} s per {entry['new_tokens']} tokens, "
              f"speed-up {entry['speedup']:.1f}x, same samples {entry['same_samples']}"
              for name, entry in sequence.items() if isinstance(entry, dict)]
    if "error" in sequence:
      lines.append(f"sequence  error: {sequence['error']}")
  scaling = results.get("scaling")
  if scaling:
    for key in ("batch_jaxgen", "batch_peer"):
      curve, sizes = scaling[key].get("step_ms"), scaling[key].get("size_step_ms", {})
      lines.append(f"scaling {key}: " + (
          ", ".join([f"B={b}: {ms:.0f} ms" for b, ms in curve.items()]
                    + [f"{s}x{s}: {ms:.0f} ms" for s, ms in sizes.items()])
          if curve else f"error: {scaling[key].get('error')}"))
    compile_s = scaling["compile_jaxgen"].get("compile_s")
    lines.append("scaling compile vs couplings: " + (
        ", ".join(f"{d}: {s:.1f} s" for d, s in compile_s.items()) if compile_s
        else f"error: {scaling['compile_jaxgen'].get('error')}"))
  return "\n".join(lines)


def save(results: dict, path: str) -> None:
  """Writes ``results`` to ``path``; called after every workload, so a stopped run keeps its part."""
  results["machine"]["load_average_end"] = list(os.getloadavg())
  os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
  with open(path, "w") as f:
    json.dump(results, f, indent=2)


def main(argv=None) -> dict:
  parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
  parser.add_argument("--quick", action="store_true", help="small counts: minutes on 2 CPU cores")
  parser.add_argument("--only", choices=WORKLOADS + EXTRAS, help="run only this workload")
  parser.add_argument("--out", default=os.path.join("benchmarks", "results.json"))
  args = parser.parse_args(argv)
  threads = common.num_threads()
  results = {"schema_version": SCHEMA_VERSION, "quick": args.quick, "threads": threads,
             "thread_settings": common.thread_environment(threads), "machine": machine(),
             "versions": common.versions(PACKAGES), "workloads": {}}
  for name in WORKLOADS:
    if args.only in (None, name):
      print(f"running {name} ...", file=sys.stderr, flush=True)
      results["workloads"][name] = run_workload(name, args.quick, threads)
      save(results, args.out)
  for name in ("pixelcnn", "sequence"):
    if args.only in (None, name):
      print(f"running {name} ...", file=sys.stderr, flush=True)
      results[name] = run_sampling(name, args.quick, threads)
      save(results, args.out)
  if args.only in (None, "scaling"):
    print("running scaling ...", file=sys.stderr, flush=True)
    results["scaling"] = run_scaling(args.quick, threads,
                                     os.path.splitext(args.out)[0] + "_scaling.png",
                                     results["workloads"].get("ddpm"))
    save(results, args.out)
  print(table(results))
  print(f"wrote {args.out}")
  return results


if __name__ == "__main__":
  main()
