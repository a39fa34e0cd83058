"""The reproduction registry: the results experiment configs promise, and checks of them.

An experiment config may carry ``config.reproduce`` (an ``ml_collections.ConfigDict``):

  targets   tuple of strings ``"<metric> <op> <value>"`` with op ``<=``, ``>=`` or ``==``, or
            ``"<metric> ~= <value> +- <tolerance>"``, e.g. ``("modes_captured >= 25",
            "high_quality_frac >= 0.94")`` or ``("bits_per_dim ~= 3.49 +- 0.05",)``
  source    where the targets come from: a paper and its table, or "jaxgen baseline"
  paper     the paper's own number where one exists ("" otherwise)
  protocol  how the metric is measured: sample count, reference split, feature extractor
  compute   the expected wall time and machine

``reproduce(name, workdir)`` trains that experiment in ``workdir`` (resuming whatever is there),
evaluates it, checks every target against ``eval.json`` and writes ``reproduce.json``; with
``reuse_eval`` an ``eval.json`` already written for the trained step is checked as it stands
(evaluations of diffusion models take longer than their training on a CPU).
"""

import dataclasses
import glob
import json
import math
import os
import re
from typing import Optional, Sequence

import ml_collections

from jaxgen.errors import ConfigError
from jaxgen.results import tables
from jaxgen.results.workdir import EVAL_FILE, REPRODUCE_FILE, eval_of_step, read_json

FIELDS = ("targets", "source", "paper", "protocol", "compute")
_NUMBER = r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?"
_TARGET = re.compile(rf"\s*(?P<metric>[A-Za-z_][\w.]*)\s*(?P<op><=|>=|==|~=)\s*"
                     rf"(?P<value>{_NUMBER})(?:\s*\+-\s*(?P<tolerance>{_NUMBER}))?\s*")
TABLE_HEADER = ("experiment", "step", "metric", "ours", "target", "paper", "pass")


@dataclasses.dataclass(frozen=True)
class Target:
  """One promised result: ``metric op value`` (``~=``: within ``tolerance`` of ``value``)."""
  text: str
  metric: str
  op: str
  value: float
  tolerance: Optional[float] = None

  def holds(self, observed: float) -> bool:
    """Whether ``observed`` meets the target (NaN never does). ``==`` is exact: for counts."""
    if self.op == "<=":
      return observed <= self.value
    if self.op == ">=":
      return observed >= self.value
    if self.op == "==":
      return observed == self.value
    gap = abs(observed - self.value)
    # 3.44 is within 3.49 +- 0.05 as written, though in floats 3.49 - 3.44 > 0.05.
    return gap <= self.tolerance or math.isclose(gap, self.tolerance, rel_tol=1e-9, abs_tol=1e-12)

  @property
  def bound(self) -> str:
    """The target without its metric name, as the results table shows it."""
    if self.op == "~=":
      return f"{tables.format_number(self.value)} ± {tables.format_number(self.tolerance)}"
    return f"{self.op} {tables.format_number(self.value)}"


def parse_target(text: str, where: str = "config") -> Target:
  """Parses ``"<metric> <op> <value>"`` or ``"<metric> ~= <value> +- <tolerance>"`` strictly.

  ``where`` names the config in the error a malformed target raises.
  """
  match = _TARGET.fullmatch(text) if isinstance(text, str) else None
  if match is None:
    raise ConfigError(f"{where}: reproduce target {text!r} must look like '<metric> <op> <value>' "
                      "with op <=, >= or ==, or '<metric> ~= <value> +- <tolerance>'")
  op, tolerance = match["op"], match["tolerance"]
  if (op == "~=") != (tolerance is not None):
    raise ConfigError(f"{where}: reproduce target {text!r}: '+- <tolerance>' goes with ~= "
                      "and only with it")
  if tolerance is not None and float(tolerance) < 0:
    raise ConfigError(f"{where}: reproduce target {text!r}: the tolerance must be >= 0")
  return Target(text=text.strip(), metric=match["metric"], op=op, value=float(match["value"]),
                tolerance=None if tolerance is None else float(tolerance))


@dataclasses.dataclass(frozen=True)
class Reproduction:
  """An experiment's ``config.reproduce``, validated."""
  name: str
  targets: tuple[Target, ...]
  source: str
  paper: str = ""
  protocol: str = ""
  compute: str = ""
  data: str = ""  # config.data.name


def reproduction_of(name: str, config: ml_collections.ConfigDict) -> Optional[Reproduction]:
  """The validated ``config.reproduce`` of experiment ``name``, or None when it has none."""
  if "reproduce" not in config:
    return None
  spec = config.reproduce
  where = f"experiment {name!r}"
  if not isinstance(spec, ml_collections.ConfigDict):
    raise ConfigError(f"{where}: config.reproduce must be a ConfigDict with fields "
                      f"{', '.join(FIELDS)}, got {type(spec).__name__}")
  unknown = sorted(set(spec.keys()) - set(FIELDS))
  if unknown:
    raise ConfigError(f"{where}: unknown config.reproduce field(s) {', '.join(unknown)}; "
                      f"valid: {', '.join(FIELDS)}")
  targets = spec.get("targets", ())
  if isinstance(targets, str) or not isinstance(targets, (tuple, list)) or not targets:
    raise ConfigError(f"{where}: config.reproduce.targets must be a non-empty tuple of strings "
                      f"like 'modes_captured >= 25', got {targets!r}")
  texts = {}
  for field in FIELDS[1:]:
    value = spec.get(field, "")
    if not isinstance(value, str):
      raise ConfigError(f"{where}: config.reproduce.{field} must be a str, got {value!r}")
    texts[field] = value
  if not texts["source"]:
    raise ConfigError(f"{where}: config.reproduce.source must name the paper and table "
                      "(or 'jaxgen baseline')")
  data = config.data.get("name", "") if "data" in config else ""
  return Reproduction(name=name, targets=tuple(parse_target(t, where) for t in targets), data=data,
                      **texts)


# Datasets made by jaxgen's own code, no files read (tests/test_results.py checks this list
# against the registered sources): ``reproduce --offline`` runs their experiments anywhere.
SHIPPED_DATASETS = ("digits", "binarized_digits", "ring8", "grid25", "moons", "checkerboard",
                    "spirals", "ppca", "markov_text", "tones")


def runs_offline(reproduction: Reproduction) -> bool:
  """Whether the experiment's data ships with jaxgen (digits, toys, synthetic data), so it runs
  with no files: not TFDS, IDX files, the fortunes package or generated speech."""
  return reproduction.data in SHIPPED_DATASETS


def _config_paths(directory: str) -> list[str]:
  return sorted(p for p in glob.glob(os.path.join(directory, "*.py"))
                if not os.path.basename(p).startswith("_"))


def load_experiment(name: str, directory: str) -> ml_collections.ConfigDict:
  """``get_config()`` of ``directory/<name>.py``; an unknown name lists the valid ones."""
  from jaxgen.core import config as config_lib

  path = os.path.join(directory, f"{name}.py")
  if not os.path.isfile(path):
    names = [os.path.basename(p)[:-3] for p in _config_paths(directory)]
    raise ConfigError(f"unknown experiment {name!r} in {directory!r}; valid: {', '.join(names)}")
  return config_lib.load_config(path)


def registry(directory: str) -> list[Reproduction]:
  """The reproductions of every experiment config in ``directory`` that declares one."""
  paths = _config_paths(directory)
  if not paths:
    raise ConfigError(f"no experiment configs (*.py) in {directory!r}")
  found = []
  for path in paths:
    name = os.path.basename(path)[:-3]
    reproduction = reproduction_of(name, load_experiment(name, directory))
    if reproduction is not None:
      found.append(reproduction)
  return found


def check(reproduction: Reproduction, metrics: dict) -> list[dict]:
  """Each target against ``metrics`` (an ``eval.json``): ``{target, metric, value, pass}``.

  A metric ``metrics`` lacks fails its target, with ``error`` saying which metrics there are.
  """
  results = []
  for target in reproduction.targets:
    value = metrics.get(target.metric)
    result = {"target": target.text, "metric": target.metric, "value": value, "pass": False}
    if not isinstance(value, (int, float)) or isinstance(value, bool):
      available = ", ".join(sorted(k for k in metrics if k != "step"))
      result["value"] = None
      result["error"] = (f"metric {target.metric!r} is not in {EVAL_FILE}; available: "
                         f"{available or 'none'}")
    else:
      result["pass"] = target.holds(float(value))
    results.append(result)
  return results


def result_record(reproduction: Reproduction, metrics: dict, evaluation: str = "fresh") -> dict:
  """What ``reproduce.json`` holds: the checked targets and where they come from; ``evaluation``
  says whether ``eval.json`` was written by this reproduction ("fresh") or found ("reused")."""
  targets = check(reproduction, metrics)
  return {"name": reproduction.name, "targets": targets,
          "pass": all(t["pass"] for t in targets), "step": metrics.get("step"),
          "source": reproduction.source, "paper": reproduction.paper,
          "protocol": reproduction.protocol, "evaluation": evaluation}


def reproduce(name: str, workdir: str, overrides: Sequence[str] = (),
              directory: str = "experiments", reuse_eval: bool = False) -> dict:
  """Trains (or finishes) experiment ``name`` in ``workdir``, evaluates it, checks its targets.

  ``overrides`` (``field=value``) change the config as ``jaxgen train --config.field=value``
  does. With ``reuse_eval``, an ``eval.json`` of the trained step is checked instead of
  evaluating again. Writes and returns the record of ``result_record``.
  """
  from jaxgen.core import config as config_lib
  from jaxgen.core import runner  # Imported here: listing and tables need no JAX.

  config = load_experiment(name, directory)
  config_lib.apply_overrides(config, overrides)
  reproduction = reproduction_of(name, config)  # after the overrides: what config.json records
  if reproduction is None:
    declared = [r.name for r in registry(directory)]
    raise ConfigError(f"experiment {name!r} declares no config.reproduce targets; those that do: "
                      f"{', '.join(declared) or 'none'}")
  step = int(runner.train(config, workdir).step)
  found = eval_of_step(workdir, step) if reuse_eval else None
  if found is not None:
    record = result_record(reproduction, found, "reused")
  else:
    record = result_record(reproduction, runner.evaluate(workdir))
  with open(os.path.join(workdir, REPRODUCE_FILE), "w") as f:
    json.dump(record, f, indent=2)
  return record


def reproduce_offline(root: str, directory: str = "experiments", reuse_eval: bool = False,
                      log=print) -> list[dict]:
  """``reproduce`` of every experiment whose data ships with jaxgen, each in ``root/<name>``;
  returns their records. An experiment that fails with an error is logged and left out:
  the others still run."""
  from jaxgen.errors import JaxgenError

  records = []
  for reproduction in registry(directory):
    if not runs_offline(reproduction):
      continue
    workdir = os.path.join(root, reproduction.name)
    log(f"reproduce {reproduction.name} in {workdir}")
    try:
      record = reproduce(reproduction.name, workdir, directory=directory, reuse_eval=reuse_eval)
    except JaxgenError as e:
      log(f"reproduce {reproduction.name}: {type(e).__name__}: {e}")
      continue
    log(f"reproduce {reproduction.name}: " + ("all targets met" if record["pass"] else "a target is not met"))
    records.append(record)
  return records


def table_rows(record: dict) -> list[tuple[str, ...]]:
  """The results-table rows of one ``reproduce.json`` record, one per target."""
  rows = []
  for result in record["targets"]:
    target = parse_target(result["target"], f"{record['name']} reproduce.json")
    ours = "missing" if result["value"] is None else tables.format_number(result["value"])
    step = "" if record.get("step") is None else str(record["step"])
    rows.append((f"`{record['name']}`", step, target.metric, ours, target.bound,
                 record.get("paper", ""), "pass" if result["pass"] else "**FAIL**"))
  return rows


def results_table(records: Sequence[dict]) -> str:
  """The README's Markdown results table from ``reproduce.json`` records."""
  return tables.markdown_table(TABLE_HEADER, [row for record in records for row in table_rows(record)])


def read_records(workdirs: Sequence[str]) -> list[dict]:
  """The ``reproduce.json`` of each workdir."""
  return [read_json(workdir, REPRODUCE_FILE) for workdir in workdirs]


def registry_table(reproductions: Sequence[Reproduction]) -> str:
  """``jaxgen reproduce --list``: name, targets, source and compute of each reproduction."""
  rows = [(f"`{r.name}`", "; ".join(t.text for t in r.targets), r.source, r.compute)
          for r in reproductions]
  return tables.markdown_table(("experiment", "targets", "source", "compute"), rows)
