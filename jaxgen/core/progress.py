"""Status lines on stderr for long work: training steps, an evaluation pass, sampling.

A batch job has no terminal to draw a bar on, and ``jaxgen eval`` can spend an hour drawing
10,000 samples; both print a line every ``STATUS_SECONDS`` instead (process 0 only).
"""

import os
import sys
import time
from typing import Sequence

from jaxgen.core import sharding

# Seconds between two status lines of the same work.
STATUS_SECONDS = float(os.environ.get("JAXGEN_STATUS_SECONDS", 60))


def line(text: str) -> None:
  """One status line on stderr (process 0 only)."""
  if sharding.is_main_process():
    print(f"[jaxgen {time.strftime('%H:%M:%S')}] {text}", file=sys.stderr, flush=True)


class StatusLines:
  """``"{label} {done}/{total}, {details}, {rate} {unit}/s, ETA {m} min"`` every
  ``STATUS_SECONDS`` and at the end. The rate counts from the first update, so a compile before
  it does not enter the ETA."""

  def __init__(self, label: str, unit: str, total: int, enabled: bool = True):
    self.label, self.unit, self.total = label, unit, total
    self.enabled = enabled and sharding.is_main_process()
    self.began = self.last = self.first = None

  def update(self, done: int, details: Sequence[str] = ()) -> None:
    now = time.perf_counter()
    if self.began is None:
      self.began, self.last, self.first = now, now, done
      return
    if not self.enabled or (now - self.last < STATUS_SECONDS and done != self.total):
      return
    self.last = now
    rate = (done - self.first) / max(now - self.began, 1e-9)
    eta = (self.total - done) / max(rate, 1e-9)
    line(", ".join([f"{self.label} {done}/{self.total}", *details, f"{rate:.3g} {self.unit}/s",
                    f"ETA {eta / 60:.1f} min"]))


class SolveStatus:
  """``"{label}: {p}% of the time interval, {n} solver steps, {m} min"`` every ``STATUS_SECONDS``
  of an adaptive ODE solve, as ``jaxgen.eval.ode_likelihood``'s ``status(fraction, steps)``
  host callback: a U-Net's likelihood of one batch is one compiled solve of up to an hour. Each
  solve (steps counting from 1 again) restarts the clock."""

  def __init__(self, label: str):
    self.label = label
    self.began = self.last = None

  def __call__(self, fraction, steps) -> None:
    now, steps = time.perf_counter(), int(steps)
    if steps == 1 or self.began is None:
      self.began = self.last = now
      return
    if now - self.last < STATUS_SECONDS:
      return
    self.last = now
    line(f"{self.label}: {100 * float(fraction):.1f}% of the time interval, {steps} solver steps, "
         f"{(now - self.began) / 60:.1f} min")
