"""Cross-family comparison: several workdirs' final metrics side by side in one table.

Each row is a workdir (its family, dataset and description from ``config.json``); the columns
are the metrics of ``METRICS`` that at least one workdir's ``eval.json`` reports, always in that
order, blank where a family does not report one. Families name the same quantity the same way
(docs/architecture.md), so a column compares like with like.
"""

import os
from typing import Sequence

from jaxgen.errors import ConfigError
from jaxgen.results import tables
from jaxgen.results.workdir import CONFIG_FILE, EVAL_FILE, read_json

# bits_per_dim_iwae: the VAE family's likelihood is an IWAE bound estimate (an upper bound on the
# NLL), kept apart from the exact (flows, PixelCNN) and variational (DDPM) bits_per_dim;
# bound_estimate is DDPM's unbiased one-term estimate of that bound. FID is biased upwards at
# small sample counts, so fid_num_samples stands beside it.
METRICS = ("bits_per_dim", "bits_per_dim_iwae", "bound_estimate", "nll", "fid", "fid_num_samples",
           "kid", "precision", "recall", "modes_captured", "high_quality_frac", "mmd2",
           "num_classes_generated", "min_class_frac", "max_class_frac", "label_accuracy",
           "recon_mse", "psnr", "ssim", "accuracy", "anomaly_auroc", "samples_per_sec")
IDENTITY = ("run", "family", "data", "description")


def _run(workdir: str) -> tuple[dict, dict]:
  """(identity, metrics) of one workdir."""
  config = read_json(workdir, CONFIG_FILE)
  metrics = read_json(workdir, EVAL_FILE)
  identity = {"run": os.path.normpath(workdir),  # as given: two runs may share a basename
              "family": config.get("family", ""),
              "data": (config.get("data") or {}).get("name", ""),
              "description": config.get("description", "")}
  return identity, metrics


def comparison(workdirs: Sequence[str]) -> tuple[list[str], list[list]]:
  """The header and the rows (raw values; None where a metric is not reported)."""
  runs = [_run(w) for w in workdirs]
  columns = [m for m in METRICS if any(m in metrics for _, metrics in runs)]
  rows = [[identity[k] for k in IDENTITY] + [metrics.get(m) for m in columns]
          for identity, metrics in runs]
  return list(IDENTITY) + columns, rows


def compare(workdirs: Sequence[str], out: str = "") -> str:
  """The Markdown table of ``workdirs``; with ``out``, also written there and as CSV beside it
  (same stem, ``.csv``, full-precision values)."""
  if out and os.path.splitext(out)[1].lower() == ".csv":
    raise ConfigError(f"--out {out!r}: give the Markdown file (e.g. table.md); the CSV goes beside it")
  header, rows = comparison(workdirs)
  identity = len(IDENTITY)
  markdown = tables.markdown_table(
      header, [row[:identity] + [tables.format_number(v) for v in row[identity:]] for row in rows])
  if out:
    os.makedirs(os.path.dirname(os.path.abspath(out)), exist_ok=True)
    with open(out, "w") as f:
      f.write(markdown)
    csv_rows = [["" if v is None else v for v in row] for row in rows]
    with open(os.path.splitext(out)[0] + ".csv", "w") as f:
      f.write(tables.csv_table(header, csv_rows))
  return markdown
