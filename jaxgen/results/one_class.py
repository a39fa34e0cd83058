"""The one-class anomaly protocol (Ruff et al. 2018; Golan & El-Yaniv 2018): for each class k,
train a config on class k alone, score the whole test split with the family's anomaly score,
AUROC with k normal and every other class anomalous; then the mean over the classes.

  jaxgen one-class --config experiments/autoencoder_fashion_mnist.py --root runs/ae_oc \\
      [--classes 0,3] [--seeds 0,1,2] [--config.train.num_steps=2000 ...]

Each class trains in ``ROOT/class_<k>`` (``data.exclude_labels`` = every other class; resumed
like any run, and its ``eval.json`` kept once it is of the trained step). ``ROOT/one_class.json``
holds the AUROCs, ``ROOT/one_class.md`` the per-class table with the mean. With ``--seeds``,
each seed's protocol runs in ``ROOT/s<seed>`` (``seed`` set in the config) and ``ROOT``'s table
gives every AUROC and the mean over classes as mean ± sd over the seeds.
"""

import json
import os
from typing import Optional, Sequence

import numpy as np

from jaxgen.errors import ConfigError
from jaxgen.results import tables
from jaxgen.results.workdir import eval_of_step

RESULT_FILE = "one_class.json"


def one_class(config_path: str, root: str, classes: Optional[Sequence[int]] = None,
              overrides: Sequence[str] = (), seeds: Optional[Sequence[int]] = None) -> dict:
  """Trains and evaluates ``config_path`` once per class (see the module docstring); returns
  ``{"config", "overrides", "per_class": {k: auroc}, "class_names": {k: name}, "mean", "sd"}``
  (sd over the classes) and writes it with the table. With ``seeds``, once per seed in
  ``root/s<seed>``, and ``{"config", "overrides", "seeds", "per_seed": [each seed's result],
  "per_class": {k: mean over seeds}, "per_class_sd": {k: sd over seeds}, "class_names", "mean",
  "sd"}`` (the mean over classes: its mean and sd over the seeds)."""
  if seeds is not None:
    if not seeds:
      raise ConfigError("--seeds must name at least one seed")
    per_seed = [one_class(config_path, os.path.join(root, f"s{seed}"), classes,
                          [*overrides, f"seed={seed}"]) for seed in seeds]
    aurocs = np.array([list(r["per_class"].values()) for r in per_seed])  # [seeds, classes]
    means = aurocs.mean(axis=1)
    result = {"config": config_path, "overrides": list(overrides), "seeds": list(seeds),
              "per_seed": per_seed,
              "per_class": dict(zip(per_seed[0]["per_class"], aurocs.mean(axis=0).tolist())),
              "per_class_sd": dict(zip(per_seed[0]["per_class"], _sd(aurocs).tolist())),
              "class_names": per_seed[0]["class_names"],
              "mean": float(means.mean()), "sd": float(_sd(means))}
    return _write(result, root)

  from jaxgen import data as data_lib
  from jaxgen.core import config as config_lib
  from jaxgen.core import runner  # Imported here: the command line starts without JAX.

  base = config_lib.load_config(config_path)
  config_lib.apply_overrides(base, overrides)
  info = data_lib.dataset_info(base.data.name)
  num_classes = info.num_classes
  if not num_classes:
    raise ConfigError(f"one-class needs a labelled dataset; {base.data.name!r} has no labels")
  classes = list(range(num_classes)) if classes is None else list(classes)
  if not classes or any(not 0 <= k < num_classes for k in classes):
    raise ConfigError(f"--classes must be labels in 0..{num_classes - 1}, got {classes}")
  per_class = {}
  for k in classes:
    config = base.copy_and_resolve_references()
    config.data.exclude_labels = tuple(c for c in range(num_classes) if c != k)
    workdir = os.path.join(root, f"class_{k}")
    step = int(runner.train(config, workdir).step)
    metrics = eval_of_step(workdir, step) or runner.evaluate(workdir)
    if "anomaly_auroc" not in metrics:
      raise ConfigError(f"family {config.family!r} scores no anomalies (Experiment.anomaly_score)")
    per_class[k] = metrics["anomaly_auroc"]
  values = np.array(list(per_class.values()))
  names = info.class_names
  result = {"config": config_path, "overrides": list(overrides), "per_class": per_class,
            "class_names": {k: names[k] for k in classes} if names else {},
            "mean": float(values.mean()), "sd": float(_sd(values))}
  return _write(result, root)


def _sd(values: np.ndarray) -> np.ndarray:
  """The sd (ddof 1) down the first axis of ``values: [N, ...]``; 0 where N is 1."""
  return values.std(axis=0, ddof=1) if len(values) > 1 else np.zeros(values.shape[1:])


def _write(result: dict, root: str) -> dict:
  os.makedirs(root, exist_ok=True)
  with open(os.path.join(root, RESULT_FILE), "w") as f:
    json.dump(result, f, indent=2)
  with open(os.path.join(root, "one_class.md"), "w") as f:
    f.write(table(result))
  return result


def table(result: dict) -> str:
  """The per-class AUROCs and their mean (± sd over classes; over several seeds, every cell is
  mean ± sd over the seeds) as Markdown."""
  names, spread = result.get("class_names", {}), result.get("per_class_sd")
  cell = lambda k, auroc: tables.format_number(auroc) + (
      f" ± {tables.format_number(spread[k])}" if spread is not None else "")
  rows = [[f"{k} ({names[k]})" if k in names else str(k), cell(k, auroc)]
          for k, auroc in result["per_class"].items()]
  rows.append(["mean", f"{tables.format_number(result['mean'])} ± "
                       f"{tables.format_number(result['sd'])}"])
  header = ["normal class", "AUROC"]
  if "seeds" in result:
    header[1] = f"AUROC, mean ± sd over seeds {', '.join(map(str, result['seeds']))}"
  return tables.markdown_table(header, rows)
