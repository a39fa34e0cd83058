"""A run's report: one self-contained HTML page (``workdir/report.html``) to read or share.

It holds the training and evaluation curves of ``metrics.jsonl`` (one matplotlib PNG per metric,
its train and eval values on the same axes so the gap shows), the sample grids saved during
training in step order, the final evaluation (``eval.json``), timing, and the resolved config.
Every image is a base64 data URI and the only style is an inline ``<style>``: the file opens
anywhere, offline, and can be mailed or attached as it is.
"""

import base64
import html
import io
import json
import os
import re
import statistics
from typing import Optional, Sequence

from jaxgen.core import logging as logging_lib
from jaxgen.results import tables
from jaxgen.results.workdir import CONFIG_FILE, EVAL_FILE, read_json

REPORT_FILE = "report.html"
# Timing values, not curves: reported in the timing table.
TIMING_METRICS = ("first_step_seconds",)
# Hundreds of evaluations would make a page of megabytes; this many grids, evenly spaced over
# training (first and last included), show the progress.
MAX_SAMPLE_GRIDS = 12
_SAMPLE_NAME = re.compile(r"step_(\d+)\.png")

_STYLE = """
body { font-family: system-ui, sans-serif; margin: 2em auto; max-width: 70em; padding: 0 1em;
       color: #222; }
h1 { margin-bottom: 0.2em; }
.subtitle { color: #555; margin-top: 0; }
.gallery { display: flex; flex-wrap: wrap; gap: 1em; }
figure { margin: 0; }
figcaption { font-size: 0.85em; color: #555; text-align: center; }
.samples img { image-rendering: pixelated; max-width: 16em; }
table { border-collapse: collapse; }
th, td { border: 1px solid #ccc; padding: 0.25em 0.6em; text-align: left; }
td.number { text-align: right; font-variant-numeric: tabular-nums; }
pre { background: #f6f6f6; padding: 1em; overflow-x: auto; font-size: 0.85em; }
"""


def _data_uri(png: bytes) -> str:
  return "data:image/png;base64," + base64.b64encode(png).decode("ascii")


def _curve_png(name: str, series: dict[str, tuple[list, list]]) -> bytes:
  """One metric over steps, a line per split: PNG bytes."""
  from matplotlib.figure import Figure  # Imported here: the CLI stays instant. No pyplot state.

  figure = Figure(figsize=(3.6, 2.5), dpi=100)
  axes = figure.subplots()
  values = []
  for split, (steps, ys) in sorted(series.items(), reverse=True):  # train first, then eval
    axes.plot(steps, ys, marker="o" if len(steps) <= 20 else None, markersize=3, label=split)
    values += ys
  positive = [v for v in values if v == v and v > 0]
  # Losses fall over orders of magnitude; a log scale keeps the end of training visible.
  if len(positive) == len(values) and max(positive) > 100 * min(positive):
    axes.set_yscale("log")
  axes.set_title(name, fontsize=10)
  axes.set_xlabel("step", fontsize=8)
  axes.tick_params(labelsize=7)
  axes.grid(alpha=0.3)
  axes.legend(fontsize=7)
  figure.tight_layout()
  buffer = io.BytesIO()
  figure.savefig(buffer, format="png")
  return buffer.getvalue()


def curves(rows: Sequence[dict]) -> list[tuple[str, bytes]]:
  """(metric, PNG) for every metric logged in ``rows``: ``loss`` first, the rest by name."""
  by_metric: dict[str, dict[str, tuple[list, list]]] = {}
  for row in rows:
    for name, value in row.items():
      if name in ("step", "split") or name in TIMING_METRICS:
        continue
      steps, values = by_metric.setdefault(name, {}).setdefault(row["split"], ([], []))
      steps.append(row["step"])
      values.append(value)
  names = sorted(by_metric, key=lambda name: (name != "loss", name))
  return [(name, _curve_png(name, by_metric[name])) for name in names]


def sample_grids(workdir: str) -> tuple[list[tuple[int, str]], int]:
  """(step, path) of the sample grids shown, in step order, and how many there are in all."""
  directory = os.path.join(workdir, "samples")
  found = []
  if os.path.isdir(directory):
    for name in os.listdir(directory):
      match = _SAMPLE_NAME.fullmatch(name)
      if match:
        found.append((int(match[1]), os.path.join(directory, name)))
  found.sort()
  if len(found) <= MAX_SAMPLE_GRIDS:
    return found, len(found)
  last = len(found) - 1
  picks = sorted({round(i * last / (MAX_SAMPLE_GRIDS - 1)) for i in range(MAX_SAMPLE_GRIDS)})
  return [found[i] for i in picks], len(found)


def timing(rows: Sequence[dict]) -> dict[str, float]:
  """Training speed from the train rows: median steps/s, the first step's seconds (compilation
  included), the last step, and the training time the logged intervals add up to."""
  train = [row for row in rows if row["split"] == "train"]
  result = {}
  if train:
    result["last logged step"] = max(row["step"] for row in train)
  speeds = [row["steps_per_sec"] for row in train if row.get("steps_per_sec", 0) > 0]
  if speeds:
    result["median train steps/s"] = statistics.median(speeds)
  first = next((row["first_step_seconds"] for row in train if "first_step_seconds" in row), None)
  if first is not None:
    result["first step, s (incl. compilation)"] = first
  if speeds and len(speeds) == len(train):
    previous, seconds = 0, 0.0
    for row in sorted(train, key=lambda row: row["step"]):
      seconds += (row["step"] - previous) / row["steps_per_sec"]
      previous = row["step"]
    result["training time, s (sum of logged intervals, periodic evals included)"] = seconds
  return result


def _key_value_table(values: dict) -> str:
  rows = "".join(f"<tr><th>{html.escape(str(name))}</th>"
                 f"<td class=\"number\">{html.escape(tables.format_number(value))}</td></tr>\n"
                 for name, value in values.items())
  return f"<table>\n<tbody>\n{rows}</tbody>\n</table>\n"


def _figure(png: bytes, alt: str, caption: str = "") -> str:
  caption = f"<figcaption>{html.escape(caption)}</figcaption>" if caption else ""
  return f"<figure><img src=\"{_data_uri(png)}\" alt=\"{html.escape(alt)}\">{caption}</figure>\n"


def render(workdir: str) -> str:
  """The report of ``workdir`` as an HTML document (needs ``config.json``; the rest is optional)."""
  config = read_json(workdir, CONFIG_FILE)
  evaluation: Optional[dict] = (read_json(workdir, EVAL_FILE)
                                if os.path.isfile(os.path.join(workdir, EVAL_FILE)) else None)
  rows = logging_lib.read_metrics(workdir)
  name = os.path.basename(os.path.normpath(workdir))
  data = (config.get("data") or {}).get("name", "")
  parts = [
      "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n",
      # An empty icon: otherwise a browser asks for /favicon.ico and logs its absence.
      "<link rel=\"icon\" href=\"data:,\">\n",
      f"<title>jaxgen report: {html.escape(name)}</title>\n<style>{_STYLE}</style>\n</head>\n<body>\n",
      f"<h1>{html.escape(name)}</h1>\n",
      f"<p class=\"subtitle\">{html.escape(config.get('family', ''))} on {html.escape(data)}: "
      f"{html.escape(config.get('description', ''))}</p>\n",
  ]

  if evaluation is None:
    parts.append(f"<h2>Final evaluation</h2>\n<p>No {EVAL_FILE} yet: run <code>jaxgen eval "
                 f"--workdir {html.escape(workdir)}</code>.</p>\n")
  else:
    step = tables.format_number(evaluation.get("step"))
    metrics = {k: v for k, v in sorted(evaluation.items()) if k != "step"}
    parts.append(f"<h2>Final evaluation (step {html.escape(step)}, {EVAL_FILE})</h2>\n"
                 + _key_value_table(metrics))

  parts.append("<h2>Timing</h2>\n")
  timings = timing(rows)
  parts.append(_key_value_table(timings) if timings else "<p>No train rows in metrics.jsonl.</p>\n")

  parts.append("<h2>Curves</h2>\n<div class=\"gallery curves\">\n")
  plotted = curves(rows)
  parts += [_figure(png, f"{metric} over training steps") for metric, png in plotted]
  parts.append("</div>\n" if plotted else "<p>No metrics.jsonl rows yet.</p>\n</div>\n")

  grids, total = sample_grids(workdir)
  shown = f" ({len(grids)} of {total}, evenly spaced)" if len(grids) < total else ""
  parts.append(f"<h2>Samples over training{shown}</h2>\n<div class=\"gallery samples\">\n")
  for step, path in grids:
    with open(path, "rb") as f:
      parts.append(_figure(f.read(), f"samples at step {step}", f"step {step}"))
  parts.append("</div>\n" if grids else "<p>No sample grids yet.</p>\n</div>\n")

  parts.append("<h2>Config</h2>\n<pre>"
               + html.escape(json.dumps(config, indent=2, sort_keys=True)) + "</pre>\n")
  parts.append("</body>\n</html>\n")
  return "".join(parts)


def write_report(workdir: str) -> str:
  """Writes ``workdir/report.html``; returns its path."""
  path = os.path.join(workdir, REPORT_FILE)
  document = render(workdir)
  with open(path, "w", encoding="utf-8") as f:
    f.write(document)
  return path
