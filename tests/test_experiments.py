"""Every experiment config runs end to end with ``:smoke``: train, eval, sample.

Configs on TFDS datasets run on ``tfds.testing.mock_data`` (random data of the right spec, no
network), so a paper config is proven launchable even where its data cannot be downloaded.
"""

import contextlib
import glob
import json
import math
import os

import numpy as np
import pytest

from conftest import EXPERIMENTS
from jaxgen import cli
from jaxgen.core import config as config_lib
from jaxgen.data import tfds_sources

CONFIGS = sorted(os.path.basename(p)[:-3] for p in glob.glob(os.path.join(EXPERIMENTS, "*.py"))
                 if not os.path.basename(p).startswith("_"))


def test_there_are_experiments():
  assert "autoencoder_digits" in CONFIGS


@pytest.mark.parametrize("name", CONFIGS)
def test_config_docstring_gives_a_launch_command(name):
  with open(os.path.join(EXPERIMENTS, f"{name}.py")) as f:
    assert f"jaxgen train --config experiments/{name}.py" in f.read()


@pytest.mark.parametrize("name", CONFIGS)
def test_experiment_runs_end_to_end_with_smoke(name, tmp_path, capsys):
  path = os.path.join(EXPERIMENTS, f"{name}.py")
  config = config_lib.load_config(path + ":smoke")
  uses_tfds = config.data.name in tfds_sources.TFDS_DATASETS
  context = contextlib.nullcontext()
  if uses_tfds:
    import tensorflow_datasets as tfds
    context = tfds.testing.mock_data(num_examples=128)
  workdir = str(tmp_path / name)
  with context:
    assert cli.main(["train", "--config", path + ":smoke", "--workdir", workdir]) == 0
    assert cli.main(["eval", "--workdir", workdir]) == 0
    assert cli.main(["sample", "--workdir", workdir, "--num", "8",
                     "--out", str(tmp_path / "samples.npz")]) == 0
  with open(os.path.join(workdir, "eval.json")) as f:
    metrics = json.load(f)
  assert metrics["step"] == config.train.num_steps
  assert all(math.isfinite(v) for v in metrics.values()), metrics
  samples = np.load(tmp_path / "samples.npz")["samples"]
  assert samples.shape[0] == 8 and np.isfinite(samples).all()
