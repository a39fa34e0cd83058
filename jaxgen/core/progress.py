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
