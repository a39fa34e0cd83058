"""A refactor changes no number: fingerprint every experiment before and after, and compare.

A fingerprint of a config is its train metrics for the first 100 steps (log_every=1), its eval
rows at step 100, and ``jaxgen eval``'s eval.json, with the evaluation's sample counts capped (the
same caps before and after) so all configs fit in about an hour on 2 CPU cores. Configs on TFDS
data run their ``:smoke`` form for 5 steps on ``tfds.testing.mock_data``.

  git worktree add /tmp/before <base commit>
  PYTHONPATH=/tmp/before python scripts/fingerprint.py run /tmp/fp/before --repo /tmp/before
  python scripts/fingerprint.py run /tmp/fp/after
  python scripts/fingerprint.py compare /tmp/fp/before /tmp/fp/after

``compare`` prints the largest relative difference per config of each part and every eval.json
value that moved by more than 1e-5 relatively.
"""

import argparse
import contextlib
import glob
import json
import os
import time
import traceback

STEPS, TFDS_STEPS = 100, 5
EVAL_CAPS = {"num_image_samples": 256, "fid_vs_steps_samples": 64, "num_importance_samples": 200,
             "num_mode_samples": 2500}
TOLERANCE = 1e-5


def capped(config):
  """The config cut to ``STEPS`` steps with one eval and checkpoint at the end, and its
  evaluation's sample counts capped (the full 1000-term diffusion bound off: 14 GB, 30+ min)."""
  for field, cap in EVAL_CAPS.items():
    if field in config.eval and config.eval[field] > cap:
      config.eval[field] = cap
  if "importance_chunk" in config.eval:
    config.eval.importance_chunk = min(config.eval.importance_chunk,
                                       config.eval.num_importance_samples)
  if "bits_per_dim" in config.eval and config.diffusion.num_timesteps > 100:
    config.eval.bits_per_dim = False
  if "fid_vs_steps_ancestral" in config.eval:
    config.eval.fid_vs_steps_ancestral = False
  config.log_every = 1
  config.eval_every = config.checkpoint_every = config.train.num_steps
  return config


def fingerprint(path: str, workdir: str) -> dict:
  from jaxgen.core import config as config_lib  # Imported here: `compare` needs no jax.
  from jaxgen.core import runner
  from jaxgen.data import tfds_sources
  config = config_lib.load_config(path)
  context = contextlib.nullcontext()
  if config.data.name in tfds_sources.TFDS_DATASETS:
    import tensorflow_datasets as tfds
    config = config_lib.load_config(path + ":smoke")
    config.train.num_steps = min(config.train.num_steps, TFDS_STEPS)
    levels = tfds_sources.TFDS_DATASETS[config.data.name].num_levels
    context = tfds.testing.mock_data(num_examples=128, max_value=levels - 1)
  else:
    config.train.num_steps = STEPS
  with context:
    runner.train(capped(config), workdir)
    metrics = runner.evaluate(workdir)
  rows = [json.loads(line) for line in open(os.path.join(workdir, "metrics.jsonl"))]
  timing = {"steps_per_sec", "first_step_seconds"}
  return {"train": [{k: v for k, v in row.items() if k not in timing}
                    for row in rows if row["split"] == "train"],
          "eval_rows": [row for row in rows if row["split"] == "eval"],
          "eval_json": metrics}


def run(out: str, repo: str, names: list[str]) -> None:
  names = names or sorted(os.path.basename(p)[:-3] for p in glob.glob(f"{repo}/experiments/*.py")
                          if not os.path.basename(p).startswith("_"))
  os.makedirs(out, exist_ok=True)
  for name in names:
    target = os.path.join(out, f"{name}.json")
    if os.path.exists(target):
      continue
    started = time.time()
    try:
      result = fingerprint(f"{repo}/experiments/{name}.py", os.path.join(out, "work", name))
    except Exception:  # A config that fails is recorded as such, and the others still run.
      result = {"error": traceback.format_exc()[-3000:]}
    with open(target, "w") as f:
      json.dump(result, f, indent=1, sort_keys=True)
    print(f"{name} {time.time() - started:.0f}s{' ERROR' if 'error' in result else ''}", flush=True)


def relative(a, b) -> float:
  if isinstance(a, (int, float)) and isinstance(b, (int, float)):
    return abs(a - b) / max(abs(a), abs(b), 1e-12)
  return 0.0 if a == b else float("inf")


def compare(before: str, after: str) -> None:
  for name in sorted(f[:-5] for f in os.listdir(after) if f.endswith(".json")):
    if not os.path.exists(os.path.join(before, f"{name}.json")):
      print(f"{name:34s} no fingerprint before")
      continue
    a, b = (json.load(open(os.path.join(d, f"{name}.json"))) for d in (before, after))
    if "error" in a or "error" in b:
      print(f"{name:34s} failed {'before' if 'error' in a else 'after'}")
      continue
    train = max((relative(ra[k], rb.get(k)) for ra, rb in zip(a["train"], b["train"]) for k in ra),
                default=0.0)
    rows = max((relative(v, b["eval_rows"][-1].get(k)) for k, v in a["eval_rows"][-1].items()),
               default=0.0)
    moved = {k: (v, b["eval_json"].get(k)) for k, v in a["eval_json"].items()
             if relative(v, b["eval_json"].get(k)) > TOLERANCE}
    added = sorted(set(b["eval_json"]) - set(a["eval_json"]))
    print(f"{name:34s} train {train:.1e} ({len(a['train'])}/{len(b['train'])} rows)  eval rows "
          f"{rows:.1e}  eval.json {len(moved)} moved" + (f", added {added}" if added else ""))
    for key, (old, new) in moved.items():
      print(f"    {key}: {old} -> {new}")


def main() -> None:
  parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
  commands = parser.add_subparsers(dest="command", required=True)
  run_parser = commands.add_parser("run", help="fingerprint configs into OUT")
  run_parser.add_argument("out")
  run_parser.add_argument("names", nargs="*", help="config names (default: every experiment)")
  run_parser.add_argument("--repo", default=os.getcwd(), help="checkout whose experiments/ to run")
  compare_parser = commands.add_parser("compare", help="compare two fingerprint folders")
  compare_parser.add_argument("before")
  compare_parser.add_argument("after")
  args = parser.parse_args()
  if args.command == "run":
    run(args.out, args.repo, args.names)
  else:
    compare(args.before, args.after)


if __name__ == "__main__":
  main()
