"""Checkpoints with orbax: save, restore the newest readable one, and partial loads.

A checkpoint holds three items, so a resumed run continues as if never stopped:
``state`` (the TrainState), ``data`` (the training iterator's position) and ``meta``
(the run key, the jaxgen version). Orbax writes each step to a temporary directory and
renames it when complete, so a step directory that exists is whole; one that fails to read
anyway (disk corruption) is moved aside, never deleted, and the previous step is used. A
checkpoint whose saved tree (orbax's metadata) differs from the state the config builds is a
different model, not a corrupt file: that is one CheckpointError naming the differing leaves, and
nothing is moved. A read-only restore (evaluation, sampling) never moves anything.
"""

import os
import shutil
import warnings
from typing import Any, Optional

import jax
import numpy as np
import orbax.checkpoint as ocp

import jaxgen
from jaxgen.errors import CheckpointError

ITEMS = ("state", "data", "meta")


class Checkpointer:
  """An orbax ``CheckpointManager`` under ``directory`` (``workdir/checkpoints``)."""

  def __init__(self, directory: str, max_to_keep: Optional[int] = 3):
    self.directory = os.path.abspath(directory)
    self.manager = ocp.CheckpointManager(
        self.directory,
        options=ocp.CheckpointManagerOptions(max_to_keep=max_to_keep, create=True),
        item_names=ITEMS)

  def save(self, step: int, state: Any, data_state: dict, meta: dict) -> None:
    """Saves (asynchronously; ``wait`` or ``close`` before reading it back or exiting)."""
    meta = dict(meta, jaxgen_version=jaxgen.__version__, step=int(step))
    self.manager.save(
        int(step),
        args=ocp.args.Composite(
            state=ocp.args.StandardSave(state),
            data=ocp.args.JsonSave(data_state),
            meta=ocp.args.JsonSave(meta)),
        force=True)

  def wait(self) -> None:
    self.manager.wait_until_finished()

  def close(self) -> None:
    self.manager.wait_until_finished()
    self.manager.close()

  def latest_step(self) -> Optional[int]:
    return self.manager.latest_step()

  def all_steps(self) -> list[int]:
    return sorted(self.manager.all_steps())

  def check_structure(self, step: int, target_state: Any) -> None:
    """Raises CheckpointError if step's saved state has other leaves, shapes or dtypes than
    ``target_state``; a step whose metadata cannot be read passes (restoring it will tell)."""
    try:
      saved = ocp.PyTreeCheckpointer().metadata(
          os.path.join(self.directory, str(step), "state")).item_metadata.tree
    except Exception:  # noqa: BLE001 - unreadable metadata is corruption, handled by restore.
      return
    differences = _differences(_leaves(saved), _leaves(target_state))
    if differences:
      shown = "; ".join(differences[:3]) + (f"; {len(differences) - 3} more"
                                             if len(differences) > 3 else "")
      raise CheckpointError(
          f"checkpoint step {step} in {self.directory} holds another model than this config "
          f"builds ({shown}); nothing was moved. Train this config in a new --workdir, or "
          "drop the override that changes the model")

  def restore(self, target_state: Any, step: Optional[int] = None, read_only: bool = False
              ) -> Optional[tuple[Any, dict, dict]]:
    """Restores ``(state, data_state, meta)`` from ``step``, or from the newest readable step
    (None if there is none).

    ``target_state`` gives the structure, shapes, dtypes and shardings to restore into. A step
    of another structure is a CheckpointError; an unreadable one is moved aside (``read_only``:
    left in place, and if no step reads, a ``CheckpointError`` says why the newest did not).
    """
    abstract = jax.tree.map(ocp.utils.to_shape_dtype_struct, target_state)
    steps = sorted(self.manager.all_steps(), reverse=True)
    if step is not None:
      if step not in steps:
        raise CheckpointError(f"no checkpoint of step {step} in {self.directory}; kept steps: "
                              f"{', '.join(map(str, sorted(steps))) or 'none'}")
      steps = [step]
    if steps:
      self.check_structure(steps[0], target_state)
    failures = []
    for step in steps:
      try:
        restored = self.manager.restore(
            step,
            args=ocp.args.Composite(
                state=ocp.args.StandardRestore(abstract),
                data=ocp.args.JsonRestore(),
                meta=ocp.args.JsonRestore()))
      except Exception as e:  # noqa: BLE001 - any failure to read means: try the previous step.
        if read_only:
          failures.append((step, e))
          warnings.warn(f"checkpoint step {step} in {self.directory} could not be read "
                        f"({type(e).__name__}: {str(e).splitlines()[0][:200]}); left in place, "
                        "trying the previous step", stacklevel=2)
        else:
          self._set_aside(step, e)
        continue
      return restored.state, restored.data, restored.meta
    if failures:
      step, error = failures[0]
      raise CheckpointError(
          f"no checkpoint in {self.directory} could be read; step {step}: "
          f"{type(error).__name__}: {str(error).splitlines()[0][:300]}. Nothing was moved")
    return None

  def _set_aside(self, step: int, error: Exception) -> None:
    aside = os.path.join(os.path.dirname(self.directory), "checkpoints_unreadable")
    os.makedirs(aside, exist_ok=True)
    source = os.path.join(self.directory, str(step))
    destination = os.path.join(aside, str(step))
    if jax.process_index() == 0 and os.path.exists(source):
      shutil.move(source, destination)
    warnings.warn(f"checkpoint step {step} in {self.directory} could not be read "
                  f"({type(error).__name__}: {str(error)[:200]}); moved it to {destination} and "
                  "restoring the previous step", stacklevel=2)
    self.manager.reload()


def _leaves(tree: Any) -> dict:
  """{"a/b/0": (shape, dtype)} of a state or of orbax's metadata tree of it: the same names
  whether a node is a dataclass field, a dict key or a tuple index."""
  def name(entry) -> str:
    for attribute in ("key", "name", "idx"):
      if hasattr(entry, attribute):
        return str(getattr(entry, attribute))
    return str(entry)

  return {"/".join(name(e) for e in path): (tuple(leaf.shape), np.dtype(leaf.dtype).name)
          for path, leaf in jax.tree_util.tree_flatten_with_path(tree)[0]
          if hasattr(leaf, "shape")}


def _differences(saved: dict, wanted: dict) -> list[str]:
  """What differs, the parameters first (the optimizer's state only mirrors them)."""
  def order(path):
    return (not path.startswith("params"), path)

  out = [f"{path}: saved {saved[path][0]} {saved[path][1]}, config {wanted[path][0]} "
         f"{wanted[path][1]}" for path in sorted(saved.keys() & wanted.keys(), key=order)
         if saved[path] != wanted[path]]
  out += [f"{path}: only in the checkpoint"
          for path in sorted(saved.keys() - wanted.keys(), key=order)]
  out += [f"{path}: only in the config" for path in sorted(wanted.keys() - saved.keys(), key=order)]
  return out


def restore_params(workdir: str) -> Any:
  """The params of the newest checkpoint of another run, as numpy arrays (for ``init_from``)."""
  directory = os.path.join(os.path.abspath(workdir), "checkpoints")
  if not os.path.isdir(directory):
    raise CheckpointError(f"init_from: {workdir!r} has no checkpoints/ directory")
  manager = ocp.CheckpointManager(directory, item_names=ITEMS,
                                  options=ocp.CheckpointManagerOptions(create=False))
  step = manager.latest_step()
  manager.close()
  if step is None:
    raise CheckpointError(f"init_from: {directory!r} holds no checkpoint")
  # Restore as host numpy arrays: the source run's devices need not match this one's.
  path = os.path.join(directory, str(step), "state")
  reader = ocp.PyTreeCheckpointer()
  tree = reader.metadata(path).item_metadata.tree
  as_numpy = jax.tree.map(lambda _: ocp.RestoreArgs(restore_type=np.ndarray), tree)
  return reader.restore(path, args=ocp.args.PyTreeRestore(restore_args=as_numpy))["params"]


def merge_matching(fresh: Any, loaded: Any) -> tuple[Any, list[str], list[str]]:
  """Takes each leaf of ``loaded`` whose path, shape and dtype match ``fresh``; keeps the rest.

  Returns ``(params, loaded_paths, initialised_paths)`` for the transfer report.
  """
  loaded_by_path = {jax.tree_util.keystr(path): leaf
                    for path, leaf in jax.tree_util.tree_flatten_with_path(loaded)[0]}
  taken, initialised = [], []

  def choose(path, leaf):
    name = jax.tree_util.keystr(path)
    other = loaded_by_path.get(name)
    if other is not None and other.shape == leaf.shape and other.dtype == leaf.dtype:
      taken.append(name)
      return jax.device_put(other, leaf.sharding)
    initialised.append(name)
    return leaf

  params = jax.tree_util.tree_map_with_path(choose, fresh)
  return params, taken, initialised
