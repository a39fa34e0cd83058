"""Reading what a run wrote (``config.json``, ``eval.json``) without importing the runner.

The results tools only read JSON files, so they stay as fast as ``jaxgen list``; a missing file
is a user error that says which command writes it.
"""

import json
import os

from jaxgen.errors import WorkdirError

CONFIG_FILE = "config.json"  # the names jaxgen.core.runner writes
EVAL_FILE = "eval.json"
REPRODUCE_FILE = "reproduce.json"

_WRITTEN_BY = {
    CONFIG_FILE: "jaxgen train --workdir {workdir}",
    EVAL_FILE: "jaxgen eval --workdir {workdir}",
    REPRODUCE_FILE: "jaxgen reproduce NAME --workdir {workdir}",
}


def eval_of_step(workdir: str, step: int) -> dict | None:
  """``workdir``'s ``eval.json`` when it was written for ``step`` (the trained step), else None."""
  if not os.path.isfile(os.path.join(workdir, EVAL_FILE)):
    return None
  found = read_json(workdir, EVAL_FILE)
  return found if found.get("step") == step else None


def read_json(workdir: str, name: str) -> dict:
  """``workdir/name`` parsed; a missing or malformed file is a WorkdirError naming its writer."""
  path = os.path.join(workdir, name)
  if not os.path.isfile(path):
    hint = _WRITTEN_BY.get(name)
    raise WorkdirError(f"{workdir!r} has no {name}"
                       + (f" (run `{hint.format(workdir=workdir)}` first)" if hint else ""))
  with open(path) as f:
    try:
      value = json.load(f)
    except json.JSONDecodeError as e:
      raise WorkdirError(f"{path!r} is not valid JSON: {e}") from e
  if not isinstance(value, dict):
    raise WorkdirError(f"{path!r} must hold a JSON object, got {type(value).__name__}")
  return value
