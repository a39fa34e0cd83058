"""Experiment configs: loading ``experiments/*.py``, command-line overrides, validation.

A config is an ``ml_collections.ConfigDict`` returned by ``get_config(arg=None)`` in a Python
file (the flax examples / big_vision convention). ``path.py:smoke`` passes ``"smoke"`` as the
argument. Every config starts from :func:`base_config`, which holds the fields the runner reads.
"""

import ast
import importlib.util
import json
import os
import sys
import traceback
from typing import Any, Iterable, Sequence

import ml_collections

from jaxgen.errors import ConfigError, JaxgenError

# Fields every config must have, and what they must hold.
REQUIRED_FIELDS = {
    "family": "a family name (str)",
    "seed": "an int",
    "train.num_steps": "an int > 0",
    "train.batch_size": "the global batch size, an int > 0",
    "log_every": "an int > 0",
    "eval_every": "an int > 0",
    "checkpoint_every": "an int > 0",
    "data.name": "a dataset name (str)",
    "loss.name": "a loss name (str)",
}


def _number(value) -> bool:
  return isinstance(value, (int, float)) and not isinstance(value, bool)


# Fields with defaults in base_config whose values must lie in a range: (expected, predicate).
RANGE_CHECKS = {
    "eval.batch_size": ("an int > 0", lambda v: isinstance(v, int) and v > 0),
    "eval.num_samples": ("an int > 0", lambda v: isinstance(v, int) and v > 0),
    "eval.patience": ("an int > 0", lambda v: isinstance(v, int) and v > 0),
    "keep_checkpoints": ("an int > 0", lambda v: isinstance(v, int) and v > 0),
    "train.ema_decay": ("a number in [0, 1)", lambda v: _number(v) and 0 <= v < 1),
    "optimizer.learning_rate": ("a number > 0", lambda v: _number(v) and v > 0),
    "optimizer.warmup_steps": ("an int >= 0", lambda v: isinstance(v, int) and v >= 0),
    "optimizer.grad_clip_norm": ("a number >= 0 (0: off)", lambda v: _number(v) and v >= 0),
    "optimizer.weight_decay": ("a number >= 0", lambda v: _number(v) and v >= 0),
}


def base_config() -> ml_collections.ConfigDict:
  """The fields the runner reads, with defaults; a family's config fills in the rest."""
  config = ml_collections.ConfigDict()
  config.family = ""
  config.seed = 0
  config.description = ""

  config.data = ml_collections.ConfigDict()
  config.data.name = ""
  config.data.scale = "0_1"
  config.data.dequantize = False
  config.data.binarize = ml_collections.config_dict.placeholder(str)
  config.data.exclude_labels = ()
  config.data.random_flip = False  # Training-time left-right flips (CIFAR-10 / CelebA papers).
  config.data.augment = False  # Training-time shifts, rotations, elastic distortion (classifiers).
  # Training on a labelled subset: this many labels per class (0: all), chosen by the seed; the
  # other examples are dropped ("drop") or kept unlabelled, label -1 ("keep": semi-supervised).
  config.data.labels_per_class = 0
  config.data.unlabelled = "drop"
  config.data.synthetic = ""  # an .npz of generated examples added to the training split
  # Paired image-to-image data: "" or "edges" adds batch["source"], each image's edge map.
  config.data.paired_source = ""
  # Only these classes' examples, e.g. (7, 9); a training batch is one equal block per class
  # (unpaired translation between classes: CycleGAN). (): every class, one shuffled stream.
  config.data.domain_classes = ()
  config.data.dir = ml_collections.config_dict.placeholder(str)  # IDX or TFDS files' folder.

  config.model = ml_collections.ConfigDict()
  config.loss = ml_collections.ConfigDict()
  config.loss.name = ""

  config.train = ml_collections.ConfigDict()
  config.train.num_steps = 1000
  config.train.batch_size = 64
  config.train.ema_decay = 0.0  # 0 disables EMA; eval and sampling use EMA params when on.
  # False: a non-finite loss/gradient stops the run. True: that update is skipped and counted.
  config.train.skip_nonfinite = False
  # float32 | bfloat16: the training step's network computes in this dtype (jaxgen/core/precision.py;
  # params, optimizer and loss stay float32). bfloat16: the diffusion family.
  config.train.compute_dtype = "float32"

  config.optimizer = ml_collections.ConfigDict()
  config.optimizer.name = "adam"
  config.optimizer.learning_rate = 1e-3
  config.optimizer.b1 = 0.9
  config.optimizer.b2 = 0.999
  config.optimizer.eps = 1e-8
  config.optimizer.weight_decay = 0.0
  config.optimizer.grad_clip_norm = 0.0  # 0 disables clipping.
  config.optimizer.schedule = "constant"  # constant | cosine | linear
  config.optimizer.warmup_steps = 0
  config.optimizer.final_lr_factor = 0.0  # decay schedules end at learning_rate * this.

  config.eval = ml_collections.ConfigDict()
  config.eval.batch_size = 256
  config.eval.num_examples = 0  # the eval pass reads the split's first N examples; 0: all of them
  config.eval.num_samples = 64  # sample grid size at each eval.
  # eval/sample of a run with train.ema_decay > 0: its EMA params (True) or its live ones.
  config.eval.use_ema = True
  config.eval.early_stopping_metric = ""  # an eval_step metric; "" disables early stopping.
  config.eval.early_stopping_mode = "min"
  config.eval.patience = 5  # evals without improvement before stopping.
  # Image families' sample metrics (FID, KID, IS, precision/recall) are computed in the features
  # of eval.fid_extractor, which a family's config sets ("" skips them); these say how:
  config.eval.fid_weights = ""  # the Inception's .npz; "": $JAXGEN_FID_WEIGHTS (or the Keras one's)
  config.eval.fid_resize = "legacy_tf"  # the FID Inception's: legacy_tf | pytorch_fid | clean
  config.eval.fid_reference_stats = ""  # a mu/sigma .npz (e.g. published); "": the train split's

  config.log_every = 50
  config.eval_every = 500
  config.checkpoint_every = 500
  config.keep_checkpoints = 3
  config.init_from = ""  # another workdir: load its matching params before step 0.

  config.distributed = ml_collections.ConfigDict()
  config.distributed.enabled = False  # or set JAXGEN_COORDINATOR_ADDRESS (see sharding.py).
  config.distributed.coordinator_address = ""
  config.distributed.num_processes = 1
  config.distributed.process_id = 0
  return config


def reproduce(config: ml_collections.ConfigDict, targets: Sequence[str], source: str,
              paper: str = "", protocol: str = "", compute: str = "") -> ml_collections.ConfigDict:
  """Declares what ``config`` promises (``jaxgen reproduce``; see ``jaxgen.results.registry``).

  A variant that imports a base config replaces the base's promise with its own by calling this
  again (or removes it with ``del config.reproduce``), so no run is held to another's target.
  """
  config.reproduce = ml_collections.ConfigDict(dict(
      targets=tuple(targets), source=source, paper=paper, protocol=protocol, compute=compute))
  return config


# The ``:arg`` every config accepts; a config file that takes others lists them in ``ARGS``.
CONFIG_ARGS = ("smoke",)


def load_config(spec: str) -> ml_collections.ConfigDict:
  """Loads ``path/to/config.py[:arg]`` by calling its ``get_config(arg)``; a file that does not
  run, an argument it does not take or a result that is not a ConfigDict is a ConfigError."""
  path, _, arg = spec.partition(":")
  if not os.path.isfile(path):
    raise ConfigError(f"config file {path!r} does not exist (expected experiments/<name>.py[:arg])")
  # Variants import their base config by module name (``import autoencoder_digits``).
  directory = os.path.dirname(os.path.abspath(path))
  if directory not in sys.path:
    sys.path.insert(0, directory)
  module_name = "jaxgen_config_" + os.path.splitext(os.path.basename(path))[0]
  module_spec = importlib.util.spec_from_file_location(module_name, path)
  module = importlib.util.module_from_spec(module_spec)
  try:
    module_spec.loader.exec_module(module)
  except Exception as e:  # noqa: BLE001 - the user's file: say where it failed, in one line.
    raise ConfigError(f"config file {path!r} failed to load: {_where(e, path)}") from e
  if not hasattr(module, "get_config"):
    raise ConfigError(f"config file {path!r} has no get_config(arg=None) function")
  valid = tuple(getattr(module, "ARGS", CONFIG_ARGS))
  if arg and arg not in valid:
    raise ConfigError(f"config file {path!r} takes no argument {arg!r}; valid: {', '.join(valid)} "
                      "(or none)")
  try:
    config = module.get_config(arg or None)
  except JaxgenError:
    raise
  except Exception as e:  # noqa: BLE001
    raise ConfigError(f"{path}: get_config({arg or None!r}) raised {_where(e, path)}") from e
  if not isinstance(config, ml_collections.ConfigDict):
    raise ConfigError(f"{path}: get_config must return an ml_collections.ConfigDict (built on "
                      f"jaxgen.core.config.base_config()), got {type(config).__name__}")
  return config


def _where(error: Exception, path: str) -> str:
  """``Type: message (file, line N)`` of an exception raised in a config file."""
  if isinstance(error, SyntaxError):
    return f"SyntaxError: {error.msg} (line {error.lineno})"
  frames = [f for f in traceback.extract_tb(error.__traceback__)
            if os.path.abspath(f.filename) == os.path.abspath(path)]
  line = f" (line {frames[-1].lineno})" if frames else ""
  return f"{type(error).__name__}: {error}{line}"


def _parse_value(text: str) -> Any:
  try:
    return ast.literal_eval(text)
  except (ValueError, SyntaxError):
    return text  # A bare word is a string: --config.loss.name=bce.


def apply_overrides(config: ml_collections.ConfigDict, overrides: Iterable[str]) -> None:
  """Applies ``field.path=value`` overrides in place; unknown fields and wrong types are errors."""
  for override in overrides:
    field, sep, text = override.partition("=")
    if not sep:
      raise ConfigError(f"override {override!r} must look like --config.field.path=value")
    *parents, leaf = field.split(".")
    node = config
    for i, name in enumerate(parents):
      if name not in node:
        raise ConfigError(f"unknown config field {'.'.join(parents[:i + 1])!r}; "
                          f"valid: {', '.join(sorted(node.keys()))}")
      node = node[name]
    if leaf not in node:
      raise ConfigError(f"unknown config field {field!r}; valid in this group: "
                        f"{', '.join(sorted(node.keys()))}")
    value = _parse_value(text)
    current = node[leaf]
    if isinstance(current, float) and isinstance(value, int) and not isinstance(value, bool):
      value = float(value)
    if isinstance(current, tuple) and isinstance(value, list):
      value = tuple(value)
    try:
      node[leaf] = value
    except TypeError as e:
      raise ConfigError(f"config field {field!r} expects {type(current).__name__}, "
                        f"got {text!r}") from e


def get_field(config: ml_collections.ConfigDict, field: str) -> Any:
  node = config
  for name in field.split("."):
    if not isinstance(node, ml_collections.ConfigDict) or name not in node:
      raise ConfigError(f"config is missing field {field!r} (expected {REQUIRED_FIELDS.get(field, 'a value')})")
    node = node[name]
  return node


def validate(config: ml_collections.ConfigDict) -> ml_collections.ConfigDict:
  """Checks the fields the runner needs: present, of the right type, in range."""
  for field, expected in REQUIRED_FIELDS.items():
    value = get_field(config, field)
    wants_str = expected.endswith("(str)")
    if wants_str and (not isinstance(value, str) or not value):
      raise ConfigError(f"config field {field!r} must be {expected}, got {value!r}")
    if not wants_str:
      if not isinstance(value, int) or isinstance(value, bool):
        raise ConfigError(f"config field {field!r} must be {expected}, got {value!r}")
      if "> 0" in expected and value <= 0:
        raise ConfigError(f"config field {field!r} must be {expected}, got {value}")
  for field, (expected, valid) in RANGE_CHECKS.items():
    value = get_field(config, field)
    if not valid(value):
      raise ConfigError(f"config field {field!r} must be {expected}, got {value!r}")
  return config


def with_base_defaults(config: ml_collections.ConfigDict) -> ml_collections.ConfigDict:
  """``config`` with the ``base_config`` fields it lacks added at their defaults, so a workdir
  written before a field existed takes it as an override (``jaxgen eval --config.x=y``)."""

  def fill(target: ml_collections.ConfigDict, defaults: ml_collections.ConfigDict) -> None:
    for key, value in defaults.items():
      if key not in target:
        target[key] = value
      elif isinstance(value, ml_collections.ConfigDict) and isinstance(
          target[key], ml_collections.ConfigDict):
        fill(target[key], value)

  fill(config, base_config())
  return config


def to_json(config: ml_collections.ConfigDict) -> str:
  return config.to_json_best_effort(indent=2, sort_keys=True)


def from_json(text: str) -> ml_collections.ConfigDict:
  """Reads a ``config.json`` back; JSON lists become tuples, as configs write them."""

  def tuples(value):
    if isinstance(value, list):
      return tuple(tuples(v) for v in value)
    if isinstance(value, dict):
      return {k: tuples(v) for k, v in value.items()}
    return value

  return ml_collections.ConfigDict(tuples(json.loads(text)))


def smoke(config: ml_collections.ConfigDict) -> ml_collections.ConfigDict:
  """Shrinks a run to seconds on a CPU (the ``:smoke`` config argument); the model is kept."""
  config.train.num_steps = 12
  config.train.batch_size = 32
  config.eval.batch_size = 64
  config.eval.num_examples = 128
  config.eval.num_samples = 16
  config.log_every = 4
  config.eval_every = 6
  config.checkpoint_every = 6
  config.optimizer.warmup_steps = min(config.optimizer.warmup_steps, 2)
  return config
