"""Markdown and CSV tables of results, formatted the same way by every results command."""

import csv
import io
import math
from typing import Optional, Sequence


def format_number(value: Optional[float]) -> str:
  """A metric for a table: integers as integers, else 4 significant digits; None is blank."""
  if value is None:
    return ""
  if isinstance(value, bool) or not isinstance(value, (int, float)):
    return str(value)
  if isinstance(value, int) or (isinstance(value, float) and math.isfinite(value)
                                and value == int(value) and abs(value) < 1e15):
    return str(int(value))
  return f"{value:.4g}"


def _cell(text: str) -> str:
  # A pipe would end the cell and a newline the row.
  return str(text).replace("|", "\\|").replace("\n", " ")


def markdown_table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
  """A GitHub-flavoured Markdown table, one line per row, ending with a newline."""
  lines = ["| " + " | ".join(_cell(h) for h in header) + " |",
           "|" + "---|" * len(header)]
  lines += ["| " + " | ".join(_cell(c) for c in row) + " |" for row in rows]
  return "\n".join(lines) + "\n"


def csv_table(header: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
  buffer = io.StringIO()
  writer = csv.writer(buffer, lineterminator="\n")
  writer.writerow(header)
  writer.writerows(rows)
  return buffer.getvalue()
