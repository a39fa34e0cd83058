"""The ``jaxgen`` command line: list, train, eval, sample, fid, reproduce, one-class, augment,
compare, report.

  jaxgen list
  jaxgen train --config experiments/vae_digits.py[:smoke] --workdir runs/vae [--config.train.num_steps=500 ...]
  jaxgen eval --workdir runs/vae [--checkpoint best] [--split validation] [--config.eval.num_iwae_samples=5000 ...]
  jaxgen sample --workdir runs/vae --num 64 --out grid.png|samples.npz [--config.sample.temperature=0.7]
  jaxgen fid A B [--features digits|inception]      # A, B: .npz arrays or folders of PNGs
  jaxgen reproduce --list [--dir experiments]        # experiments that declare config.reproduce
  jaxgen reproduce NAME --workdir W [--reuse-eval] [--config.x=y ...]   # train + eval + check -> W/reproduce.json
  jaxgen reproduce --table W1 W2 ... [--out results.md]  # the README's results table
  jaxgen reproduce --offline ROOT [--reuse-eval] [--out results.md]  # all of it, every embedded-data experiment
  jaxgen one-class --config C --root R [--classes 0,3] [--seeds 0,1]  # train on each class alone: AUROC table
  jaxgen augment --config C --root R [--methods real,classical] [--labels 5,10] [--seeds 0,1]
  jaxgen compare W1 W2 ... [--out table.md]          # metrics side by side (+ table.csv)
  jaxgen report W                                    # W/report.html, self-contained

A user error (unknown name, bad field, missing checkpoint) prints one line and exits with
status 2; ``--debug`` shows the traceback instead. ``jaxgen reproduce NAME`` exits with status
0 when every target holds and 1 when one fails (the table row says which).
"""

import argparse
import ast
import glob
import json
import os
import sys
from typing import Optional, Sequence

from jaxgen.errors import JaxgenError, TrainingInterrupted

USAGE_EXIT = 2


def _experiments_dir() -> str:
  """``./experiments`` when run from a checkout's root, else the one beside the package."""
  if os.path.isdir("experiments"):
    return "experiments"
  return os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "experiments")


def _first_docstring_line(path: str) -> str:
  with open(path) as f:
    docstring = ast.get_docstring(ast.parse(f.read())) or ""
  return docstring.strip().splitlines()[0] if docstring.strip() else ""


def cmd_list(args) -> int:
  directory = args.dir or _experiments_dir()
  paths = sorted(p for p in glob.glob(os.path.join(directory, "*.py"))
                 if not os.path.basename(p).startswith("_"))
  if not paths:
    raise JaxgenError(f"no experiment configs (*.py) in {directory!r}")
  width = max(len(os.path.basename(p)[:-3]) for p in paths)
  for path in paths:
    print(f"{os.path.basename(path)[:-3]:<{width}}  {_first_docstring_line(path)}")
  return 0


def cmd_train(args, overrides: Sequence[str]) -> int:
  from jaxgen.core import config as config_lib
  from jaxgen.core import runner

  config = config_lib.load_config(args.config)
  config_lib.apply_overrides(config, overrides)
  state = runner.train(config, args.workdir)
  print(f"trained to step {int(state.step)}; workdir {args.workdir}")
  return 0


def cmd_eval(args, overrides: Sequence[str]) -> int:
  from jaxgen.core import runner

  metrics = runner.evaluate(args.workdir, args.checkpoint, overrides, args.split)
  print(json.dumps(metrics, indent=2, sort_keys=True))
  print(f"wrote {os.path.join(args.workdir, runner.eval_file(args.split))}")
  return 0


def cmd_sample(args, overrides: Sequence[str]) -> int:
  from jaxgen.core import runner

  samples = runner.sample(args.workdir, args.num, args.out, seed=args.seed, which=args.checkpoint,
                          overrides=overrides)
  print(f"wrote {samples.shape[0]} samples of shape {tuple(samples.shape[1:])} to {args.out}")
  return 0


def cmd_fid(args) -> int:
  from jaxgen.eval import fid_cli  # Imported here: `jaxgen list` stays instant.

  options = dict(features=args.features, inception_weights=args.inception_weights,
                 batch_size=args.batch_size, resize=args.resize)
  if args.stats or args.out:
    if not (args.stats and args.out) or args.path_a or args.path_b or args.reference:
      raise JaxgenError("--stats A --out F.npz write A's statistics, with nothing else")
    fid_cli.stats_main(args.stats, args.out, **options)
    return 0
  reference = args.reference or args.path_b
  if not args.path_a or not reference or (args.reference and args.path_b):
    raise JaxgenError("give A and B (or A --reference B), or --stats A --out F.npz")
  fid_cli.fid_main(args.path_a, reference, **options)
  return 0


def cmd_reproduce(args, overrides: Sequence[str]) -> int:
  from jaxgen.results import registry

  modes = [mode for mode, given in (("NAME", args.name), ("--list", args.list),
                                    ("--table", args.table), ("--offline", args.offline)) if given]
  if len(modes) != 1:
    raise JaxgenError("give one of NAME, --list, --table W1 W2 ... or --offline ROOT"
                      + (f", not {' and '.join(modes)}" if modes else ""))
  if overrides and not args.name:
    raise JaxgenError(f"--config.* overrides apply to NAME only, not to {modes[0]}")
  if args.out and not (args.table or args.offline):
    raise JaxgenError("--out goes with --table or --offline")
  if args.table or args.offline:
    if args.offline:
      records = registry.reproduce_offline(args.offline, args.dir or _experiments_dir(),
                                           reuse_eval=args.reuse_eval)
      status = 0 if records and all(r["pass"] for r in records) else 1
    else:
      records, status = registry.read_records(args.table), 0
    table = registry.results_table(records)
    print(table, end="")
    if args.out:
      with open(args.out, "w") as f:
        f.write(table)
    return status
  if args.list:
    directory = args.dir or _experiments_dir()
    reproductions = registry.registry(directory)
    print(registry.registry_table(reproductions) if reproductions else
          f"no experiment in {directory!r} declares config.reproduce\n", end="")
    return 0
  if not args.workdir:
    raise JaxgenError("reproduce NAME needs --workdir W (an existing one is resumed or reused)")
  record = registry.reproduce(args.name, args.workdir, overrides, args.dir or _experiments_dir(),
                              reuse_eval=args.reuse_eval)
  for result in record["targets"]:
    if "error" in result:
      print(f"jaxgen reproduce: {args.name}: {result['error']}", file=sys.stderr)
  print(registry.results_table([record]), end="")
  print(f"wrote {os.path.join(args.workdir, 'reproduce.json')}: "
        + ("all targets met" if record["pass"] else "a target is not met"))
  return 0 if record["pass"] else 1


def cmd_one_class(args, overrides: Sequence[str]) -> int:
  from jaxgen.results import one_class

  classes = _int_list(args.classes, "--classes")
  result = one_class.one_class(args.config, args.root, classes, overrides,
                               _int_list(args.seeds, "--seeds"))
  print(one_class.table(result), end="")
  print(f"wrote {os.path.join(args.root, one_class.RESULT_FILE)} and one_class.md")
  return 0


def _int_list(text: Optional[str], flag: str) -> Optional[list]:
  try:
    return None if text is None else [int(k) for k in text.split(",")]
  except ValueError:
    raise JaxgenError(f"{flag} {text!r}: expected integers separated by commas, e.g. 0,3")


def cmd_augment(args, overrides: Sequence[str]) -> int:
  from jaxgen.results import augment

  methods = None if args.methods is None else args.methods.split(",")
  result = augment.augment_study(args.config, args.root, methods,
                                 _int_list(args.labels, "--labels"),
                                 _int_list(args.seeds, "--seeds"), overrides)
  print(augment.table(result), end="")
  print(f"wrote {os.path.join(args.root, augment.RESULT_FILE)}, augment.md and augment.png")
  return 0


def cmd_compare(args) -> int:
  from jaxgen.results import compare

  print(compare.compare(args.workdirs, args.out), end="")
  return 0


def cmd_report(args) -> int:
  from jaxgen.results import report

  print(f"wrote {report.write_report(args.workdir)}")
  return 0


def build_parser() -> argparse.ArgumentParser:
  parser = argparse.ArgumentParser(prog="jaxgen", description="Deep generative models in JAX.")
  parser.add_argument("--debug", action="store_true", help="show tracebacks of user errors")
  commands = parser.add_subparsers(dest="command", required=True)

  listing = commands.add_parser("list", help="experiments with one-line descriptions")
  listing.add_argument("--dir", default=None, help="directory of experiment configs")

  train = commands.add_parser(
      "train", help="train (or resume) an experiment",
      description="Extra --config.<field>=<value> arguments override config fields.")
  train.add_argument("--config", required=True, help="experiments/<name>.py[:arg], e.g. :smoke")
  train.add_argument("--workdir", required=True)

  for name, help_text in (("eval", "evaluate a workdir's checkpoint, write eval.json"),
                          ("sample", "draw samples from a workdir's checkpoint")):
    sub = commands.add_parser(name, help=help_text)
    sub.add_argument("--workdir", required=True)
    sub.add_argument("--checkpoint", default="latest",
                     help="latest | best | STEP (any kept checkpoints/<STEP>)")
    sub.description = "Extra --config.<field>=<value> arguments change the run's config for this use only."
    if name == "eval":
      sub.add_argument("--split", default="test", choices=("test", "validation"),
                       help="test for reported numbers (eval.json); validation to choose steps "
                            "and variants (eval_validation.json)")
  fid = commands.add_parser(
      "fid", help="FID and KID between two image sets (.npz, PNG folders or statistics .npz)")
  fid.add_argument("path_a", metavar="A", nargs="?",
                   help="a .npz (array 'samples'), a folder of PNGs, or statistics (mu, sigma)")
  fid.add_argument("path_b", metavar="B", nargs="?", help="the same kinds as A")
  fid.add_argument("--reference", default=None, help="B given by name, e.g. published stats.npz")
  fid.add_argument("--stats", default=None, help="write this image set's statistics to --out")
  fid.add_argument("--out", default=None, help="the statistics .npz that --stats writes")
  fid.add_argument("--features", default="digits",
                   help="feature extractor: digits | inception (the FID network) | inception_keras")
  fid.add_argument("--inception-weights", default=None,
                   help="the .npz for --features inception ($JAXGEN_FID_WEIGHTS) or inception_keras")
  fid.add_argument("--resize", default=None, choices=("legacy_tf", "pytorch_fid", "clean"),
                   help="FID Inception resize mode (default legacy_tf, as TTUR's published FIDs)")
  fid.add_argument("--batch-size", type=int, default=256, help="images per streamed batch")

  reproduce = commands.add_parser(
      "reproduce", help="train, evaluate and check an experiment's config.reproduce targets",
      description="Exit status 0: every target met; 1: a target missed; 2: a user error. "
                  "Extra --config.<field>=<value> arguments override config fields of NAME.")
  reproduce.add_argument("name", metavar="NAME", nargs="?", help="experiments/<NAME>.py")
  reproduce.add_argument("--workdir", help="where NAME trains (resumed if it holds a checkpoint)")
  reproduce.add_argument("--reuse-eval", action="store_true",
                         help="check W's eval.json as it stands when it is of the trained step")
  reproduce.add_argument("--list", action="store_true", help="the registry of reproductions")
  reproduce.add_argument("--dir", default=None, help="directory of experiment configs")
  reproduce.add_argument("--table", nargs="+", metavar="W",
                         help="results table from these workdirs' reproduce.json")
  reproduce.add_argument("--offline", metavar="ROOT",
                         help="reproduce every experiment whose data ships with jaxgen (digits, "
                              "toys), each in ROOT/<name>, and print the results table")
  reproduce.add_argument("--out", help="with --table or --offline: also write the table to this file")
  anomaly = commands.add_parser(
      "one-class", help="the one-class anomaly protocol: train on each class alone, AUROC table",
      description="Extra --config.<field>=<value> arguments override config fields of every run.")
  anomaly.add_argument("--config", required=True, help="an experiment config (path[:arg])")
  anomaly.add_argument("--root", required=True, help="ROOT/class_<k>: each class's workdir")
  anomaly.add_argument("--classes", help="labels to run, e.g. 0,3 (default: every class)")
  anomaly.add_argument("--seeds", help="e.g. 0,1,2: the protocol once per seed in ROOT/s<seed>, "
                                       "the table as mean ± sd over them (default: the config's seed)")
  study = commands.add_parser(
      "augment", help="the augmentation study: a classifier on k labels per class, with "
                      "classical or generated augmentation; accuracy table",
      description="Extra --config.<field>=<value> arguments override the classifier's config.")
  study.add_argument("--config", required=True, help="an augment_<dataset> config")
  study.add_argument("--root", required=True, help="ROOT/<method>/k<k>_s<seed>: each run")
  study.add_argument("--methods", help="e.g. real,classical (default: the config's study.methods)")
  study.add_argument("--labels", help="labels per class, e.g. 5,10 (0: all; default: the config's)")
  study.add_argument("--seeds", help="e.g. 0,1,2 (default: the config's study.seeds)")
  comparing = commands.add_parser("compare", help="several workdirs' eval metrics in one table")
  comparing.add_argument("workdirs", metavar="W", nargs="+")
  comparing.add_argument("--out", default="", help="write the Markdown here and a .csv beside it")
  reporting = commands.add_parser("report", help="write W/report.html: curves, samples, eval, config")
  reporting.add_argument("workdir", metavar="W")

  sampler = commands.choices["sample"]
  sampler.add_argument("--num", type=int, default=64)
  sampler.add_argument("--out", required=True, help="a .png grid or a .npz with array 'samples'")
  sampler.add_argument("--seed", type=int, default=0)
  return parser


def _quiet_libraries() -> None:
  """Library chatter (absl, orbax, asyncio, TensorFlow's C++ log) off: jaxgen's own lines and
  one-line errors are what a user reads; ``--debug`` keeps everything."""
  import logging

  os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
  logging.getLogger().setLevel(logging.ERROR)
  for name in ("absl", "orbax", "asyncio", "jax", "tensorflow"):
    logging.getLogger(name).setLevel(logging.ERROR)


def main(argv: Optional[Sequence[str]] = None) -> int:
  argv = list(sys.argv[1:] if argv is None else argv)
  parser = build_parser()
  args, extra = parser.parse_known_args(argv)
  overrides = [a[len("--config."):] for a in extra if a.startswith("--config.")]
  unknown = [a for a in extra if not a.startswith("--config.")]
  if unknown or (overrides and args.command in ("list", "compare", "report")):
    parser.error(f"unrecognized arguments: {' '.join(unknown or extra)}")
  if not args.debug:
    _quiet_libraries()
  try:
    if args.command == "list":
      return cmd_list(args)
    if args.command == "train":
      return cmd_train(args, overrides)
    if args.command == "fid":
      return cmd_fid(args)
    if args.command == "eval":
      return cmd_eval(args, overrides)
    if args.command == "reproduce":
      return cmd_reproduce(args, overrides)
    if args.command == "one-class":
      return cmd_one_class(args, overrides)
    if args.command == "augment":
      return cmd_augment(args, overrides)
    if args.command == "compare":
      return cmd_compare(args)
    if args.command == "report":
      return cmd_report(args)
    return cmd_sample(args, overrides)
  except TrainingInterrupted as e:
    print(f"jaxgen {args.command}: interrupted: {e}", file=sys.stderr)
    return e.exit_code
  except JaxgenError as e:
    if args.debug:
      raise
    print(f"jaxgen {args.command}: error: {e}", file=sys.stderr)
    return USAGE_EXIT


if __name__ == "__main__":
  sys.exit(main())
