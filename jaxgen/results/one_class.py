"""The one-class anomaly protocol (Ruff et al. 2018; Golan & El-Yaniv 2018): for each class k,
train a config on class k alone, score the whole test split with the family's anomaly score,
AUROC with k normal and every other class anomalous; then the mean over the classes.

  jaxgen one-class --config experiments/autoencoder_fashion_mnist.py --root runs/ae_oc \\
      [--classes 0,3] [--config.train.num_steps=2000 ...]

Each class trains in ``ROOT/class_<k>`` (``data.exclude_labels`` = every other class; resumed
like any run, and its ``eval.json`` kept once it is of the trained step). ``ROOT/one_class.json``
holds the AUROCs, ``ROOT/one_class.md`` the per-class table with the mean.
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
              overrides: Sequence[str] = ()) -> dict:
  """Trains and evaluates ``config_path`` once per class (see the module docstring); returns
  ``{"config", "overrides", "per_class": {k: auroc}, "class_names": {k: name}, "mean", "sd"}``
  (sd over the classes) and writes it with the table."""
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
            "mean": float(values.mean()), "sd": float(values.std(ddof=1)) if len(values) > 1 else 0.0}
  os.makedirs(root, exist_ok=True)
  with open(os.path.join(root, RESULT_FILE), "w") as f:
    json.dump(result, f, indent=2)
  with open(os.path.join(root, "one_class.md"), "w") as f:
    f.write(table(result))
  return result


def table(result: dict) -> str:
  """The per-class AUROCs and their mean (± sd over classes) as Markdown."""
  names = result.get("class_names", {})
  rows = [[f"{k} ({names[k]})" if k in names else str(k), tables.format_number(auroc)]
          for k, auroc in result["per_class"].items()]
  rows.append(["mean", f"{tables.format_number(result['mean'])} ± "
                       f"{tables.format_number(result['sd'])}"])
  return tables.markdown_table(["normal class", "AUROC"], rows)
