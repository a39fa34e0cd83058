"""The data augmentation study: does a generative model make a classifier better?

A fixed classifier config (the classifier family) is trained on k labelled images per class, for
each k of ``study.labels_per_class`` (0: every label) and each seed of ``study.seeds`` (the seed
chooses the labelled subset and seeds the training), by each method of ``study.methods``:

- ``real``: the labelled images alone;
- ``classical``: with shifts, rotations and elastic distortion (``data.augment``; flips where
  ``study.flip``);
- a name of ``study.generators``: a conditional generator trained on the same labelled subset
  (its ``overrides`` may keep the unlabelled images, ``data.unlabelled=keep``), then
  ``study.synthetic_per_class`` of its samples per class added to the classifier's training split;
- a name of ``study.classifiers``: a config that classifies by itself (M1+M2), trained on the
  same subset; its ``accuracy`` is read as the classifier's.

  jaxgen augment --config experiments/augment_digits.py --root runs/augment_digits \\
      [--methods real,classical] [--labels 5,10] [--seeds 0,1] [--config.train.num_steps=...]

Every run is an ordinary workdir, ``ROOT/<method>/k<k>_s<seed>`` (a generator's in ``generator/``
beneath, its samples in ``synthetic.npz``), resumed like any run and its ``eval.json`` reused once
written for the trained step. ``ROOT/augment.json`` holds every accuracy (of this run and of
earlier runs into ROOT), ``ROOT/augment.md`` the mean ± sd table with each generator's own label
accuracy and FID, ``ROOT/augment.png`` the plot.
"""

import json
import os
from typing import Optional, Sequence

import numpy as np

from jaxgen.errors import ConfigError
from jaxgen.results import tables
from jaxgen.results.workdir import eval_of_step

RESULT_FILE = "augment.json"
BUILT_IN = ("real", "classical")


def _trained_metrics(config, workdir: str) -> dict:
  from jaxgen.core import runner  # Imported here: the command line starts without JAX.
  step = int(runner.train(config, workdir).step)
  return eval_of_step(workdir, step) or runner.evaluate(workdir)


def _with_subset(config, labels_per_class: int, seed: int):
  config = config.copy_and_resolve_references()
  config.data.labels_per_class = labels_per_class
  config.seed = seed
  return config


def _related_config(study_config_path: str, spec) -> "ml_collections.ConfigDict":
  """A generator's or classifier's config: ``spec.config`` beside the study's config file,
  with ``spec.overrides``."""
  from jaxgen.core import config as config_lib
  path = os.path.join(os.path.dirname(os.path.abspath(study_config_path)), spec.config)
  config = config_lib.load_config(path)
  config_lib.apply_overrides(config, spec.overrides)
  return config


def synthetic_examples(generator_workdir: str, per_class: int, out: str,
                       sample_overrides: Sequence[str] = ()) -> dict:
  """Draws ``per_class`` samples per class from a trained conditional generator, writes them to
  ``out`` in the stored format (``example``: image levels, ``label``), and returns the samples'
  own metrics (``label_accuracy``, ``fid``, ...) in the dataset's feature network."""
  import jax
  from jaxgen.core import evaluation, runner

  run, state = runner.restore(generator_workdir, overrides=sample_overrides)
  num_classes = run.info.num_classes
  if run.experiment.sample_labels(1) is None:
    raise ConfigError(f"{generator_workdir!r} is not a conditional generator: a study generator "
                      "must draw samples of given classes (model.class_conditional or similar)")
  # The sampler's labels cycle through the classes within each chunk it draws: draw until every
  # class has per_class samples, then keep the first per_class of each.
  num, chunk = per_class * num_classes, run.config.eval.batch_size
  while np.bincount(evaluation.chunk_labels(num, chunk, num_classes),
                    minlength=num_classes).min() < per_class:
    num += 1
  labels = evaluation.chunk_labels(num, chunk, num_classes)
  kept = np.sort(np.concatenate([np.flatnonzero(labels == k)[:per_class]
                                 for k in range(num_classes)]))
  images, labels = run.sampler(state)(jax.random.PRNGKey(run.config.seed), num)[kept], labels[kept]
  low, high = run.value_range
  unit = np.clip((np.asarray(images) - low) / (high - low), 0.0, 1.0)
  levels = np.rint(unit * (run.info.num_levels - 1)).astype(np.uint8)
  np.savez(out, example=levels, label=labels.astype(np.int32))
  return evaluation.image_sample_metrics(levels / np.float32(run.info.num_levels - 1),
                                         run.config.data.name, run.config.eval, labels)


def cell(config_path: str, base, method: str, labels_per_class: int, seed: int,
         root: str) -> dict:
  """One (method, k, seed): ``{"accuracy", ...}`` plus the generator's sample metrics."""
  study = base.study
  workdir = os.path.join(root, method, f"k{labels_per_class}_s{seed}")
  if method in study.classifiers:
    own = _related_config(config_path, study.classifiers[method])
    metrics = _trained_metrics(_with_subset(own, labels_per_class, seed), workdir)
    return {"accuracy": metrics["accuracy"]}
  config = _with_subset(base, labels_per_class, seed)
  generated = {}
  if method == "classical":
    config.data.augment, config.data.random_flip = True, bool(study.flip)
  elif method in study.generators:
    spec = study.generators[method]
    generator = _with_subset(_related_config(config_path, spec), labels_per_class, seed)
    generator_dir = os.path.join(workdir, "generator")
    from jaxgen.core import runner
    runner.train(generator, generator_dir)  # No `jaxgen eval`: its samples are measured below.
    synthetic = os.path.join(workdir, "synthetic.npz")
    quality_file = os.path.join(workdir, "synthetic.json")
    if os.path.isfile(synthetic) and os.path.isfile(quality_file):
      with open(quality_file) as f:
        generated = json.load(f)
    else:
      os.makedirs(workdir, exist_ok=True)
      generated = synthetic_examples(generator_dir, study.synthetic_per_class, synthetic,
                                     tuple(spec.sample_overrides))
      with open(quality_file, "w") as f:
        json.dump(generated, f, indent=2)
    config.data.synthetic = synthetic
  elif method != "real":
    raise ConfigError(f"study method {method!r} is unknown; valid: "
                      f"{', '.join(methods_of(base))}")
  metrics = _trained_metrics(config, os.path.join(workdir, "classifier"))
  return {"accuracy": metrics["accuracy"],
          **{f"synthetic_{k}": v for k, v in generated.items()
             if k in ("label_accuracy", "fid", "precision", "recall")}}


def methods_of(base) -> list:
  return [*BUILT_IN, *base.study.generators.keys(), *base.study.classifiers.keys()]


def augment_study(config_path: str, root: str, methods: Optional[Sequence[str]] = None,
                  labels: Optional[Sequence[int]] = None, seeds: Optional[Sequence[int]] = None,
                  overrides: Sequence[str] = ()) -> dict:
  """Runs the study (the module docstring) and writes its json, table and plot; returns
  ``{"config", "overrides", "cells": [{"method", "labels_per_class", "seed", "accuracy", ...}]}``."""
  from jaxgen.core import config as config_lib

  base = config_lib.load_config(config_path)
  config_lib.apply_overrides(base, overrides)
  if "study" not in base:
    raise ConfigError(f"{config_path!r} has no `study` section: expected an augment_<dataset> "
                      "config (experiments/augment_digits.py)")
  study = base.study
  methods = list(study.methods if methods is None else methods)
  unknown = [m for m in methods if m not in methods_of(base)]
  if unknown:
    raise ConfigError(f"unknown study methods {unknown}; valid: {', '.join(methods_of(base))}")
  cells = []
  for labels_per_class in (study.labels_per_class if labels is None else labels):
    for seed in (study.seeds if seeds is None else seeds):
      for method in methods:
        cells.append({"method": method, "labels_per_class": int(labels_per_class),
                      "seed": int(seed),
                      **cell(config_path, base, method, int(labels_per_class), int(seed), root)})
  result = {"config": config_path, "overrides": list(overrides),
             "cells": _merged(os.path.join(root, RESULT_FILE), cells)}
  os.makedirs(root, exist_ok=True)
  with open(os.path.join(root, RESULT_FILE), "w") as f:
    json.dump(result, f, indent=2)
  with open(os.path.join(root, "augment.md"), "w") as f:
    f.write(table(result))
  plot(result, base.data.name, os.path.join(root, "augment.png"))
  return result


def plot(result: dict, dataset: str, path: str) -> None:
  """Mean test accuracy against labels per class, one curve per method ("all" drawn at the
  training split's mean count per class)."""
  from jaxgen import data as data_lib
  from jaxgen.core import logging as logging_lib

  info = data_lib.dataset_info(dataset)
  every = info.num_examples["train"] / info.num_classes
  curves = {}
  for (method, k), values in summary(result).items():
    curves.setdefault(method, []).append((k or every, float(np.mean(values["accuracy"]))))
  logging_lib.save_curves(path, curves, "labelled images per class", "test accuracy")


def _merged(path: str, cells: list) -> list:
  """The cells of an earlier run of the study in ``path`` that this run did not redo, then this
  run's: one ROOT gathers every method, k and seed however the runs were split."""
  if not os.path.isfile(path):
    return cells
  with open(path) as f:
    earlier = json.load(f)["cells"]
  key = lambda c: (c["method"], c["labels_per_class"], c["seed"])
  redone = {key(c) for c in cells}
  return [c for c in earlier if key(c) not in redone] + cells


def summary(result: dict) -> dict:
  """{(method, k): {"seed": [...], "accuracy": [per seed], "synthetic_...": [per seed]}}, ordered
  by k (every label last), then by each method's first appearance."""
  grouped, methods = {}, []
  for c in result["cells"]:
    if c["method"] not in methods:
      methods.append(c["method"])
    entry = grouped.setdefault((c["method"], c["labels_per_class"]), {})
    for name, value in c.items():
      if name not in ("method", "labels_per_class"):
        entry.setdefault(name, []).append(value)
  order = lambda key: (key[1] == 0, key[1], methods.index(key[0]))
  return {key: grouped[key] for key in sorted(grouped, key=order)}


def _mean_sd(values: list) -> str:
  sd = float(np.std(values, ddof=1)) if len(values) > 1 else 0.0
  return f"{np.mean(values):.4f} ± {sd:.4f} (n={len(values)})"


def _paired_gain(values: dict, real: Optional[dict]) -> str:
  """Mean ± sd over the seeds both ran of (this method's accuracy - real's): the same labelled
  subsets, so the subsets' own spread cancels."""
  if real is None:
    return ""
  by_seed = dict(zip(real["seed"], real["accuracy"]))
  gains = [a - by_seed[s] for s, a in zip(values["seed"], values["accuracy"]) if s in by_seed]
  return f"{np.mean(gains):+.4f} ± {np.std(gains, ddof=1) if len(gains) > 1 else 0.0:.4f}" \
      if gains else ""


def table(result: dict) -> str:
  """Test accuracy mean ± sd over seeds per (method, k), its paired gain over ``real`` on the
  same seeds, and a generator's sample label accuracy and FID (means over its seeds), as
  Markdown."""
  grouped, rows = summary(result), []
  for (method, k), values in grouped.items():
    quality = [tables.format_number(float(np.mean(values[name]))) if name in values else ""
               for name in ("synthetic_label_accuracy", "synthetic_fid")]
    gain = "" if method == "real" else _paired_gain(values, grouped.get(("real", k)))
    rows.append([method, str(k) if k else "all", _mean_sd(values["accuracy"]), gain, *quality])
  return tables.markdown_table(
      ["method", "labels per class", "test accuracy", "gain over real (same seeds)",
       "samples' label accuracy", "samples' FID"], rows)
