"""Every experiment config is launchable, at its full size and at ``:smoke``.

- Every config, full and ``:smoke``, builds its Run and traces ``init``, ``eval_step``, ``sample``
  and ``sample_grid`` abstractly (``jax.eval_shape``: shapes and dtypes, no compile, no FLOPs),
  and the full size also ``train_step``, so a paper config is proven consistent at its real size
  -- Ho et al.'s 35.7M-parameter U-Net at batch 128 included -- in a second. (``:smoke``'s train
  step is the same code on smaller shapes, whose forward pass ``eval_step`` traces; the
  end-to-end tests and the families' own tests run it.)
- One config per family (and one on TFDS) runs end to end with ``:smoke``: train, eval, sample
  through the command line. The families' own tests train their other models.

Configs on TFDS datasets run end to end on ``tfds.testing.mock_data`` (random data of the right
spec, no network), so a paper config is proven launchable even where its data cannot be
downloaded; their traces read random examples of the dataset's spec (no TensorFlow needed).
"""

import contextlib
import glob
import json
import math
import os

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from conftest import EXPERIMENTS
from jaxgen import cli
from jaxgen import data as data_lib
from jaxgen.core import config as config_lib
from jaxgen.core import runner
from jaxgen.core.experiment import Experiment
from jaxgen.data import tfds_sources, transforms
from jaxgen.eval import fid_cli

CONFIGS = sorted(os.path.basename(p)[:-3] for p in glob.glob(os.path.join(EXPERIMENTS, "*.py"))
                 if not os.path.basename(p).startswith("_"))
# One per family, plus one on (mock) TFDS data; every family's own tests train the others.
# (vae_binarized_mnist runs on mock TFDS data; the conditional image models cover the label paths.)
END_TO_END = ["autoencoder_digits", "vae_binarized_mnist", "gan_ring8", "realnvp_ring8",
              "cond_gated_pixelcnn_digits", "cond_ddpm_digits", "transformer_markov_text"]


def mock_records(max_value, num=128):
  """``as_data_source_fn`` for mock_data: random records of the stored features with values in
  0..max_value (TFDS's own mock data source ignores max_value, and binary data needs it)."""

  def as_data_source(builder, split, **kwargs):
    features, rng = builder.info.features, np.random.default_rng(0)
    labelled = "label" in features
    return [{"image": rng.integers(0, max_value + 1, features["image"].shape, dtype=np.uint8),
             **({"label": rng.integers(features["label"].num_classes)} if labelled else {})}
            for _ in range(num)]

  return as_data_source


def random_examples(self, split, num):
  """``Run.examples`` for a TFDS dataset's trace: ``num`` random examples of its spec, through
  the config's preprocessing."""
  info, c = self.info, self.config
  rng = np.random.default_rng(0)
  levels = rng.integers(0, info.num_levels, (num, *info.shape), dtype=np.uint8)
  preprocess = transforms.ImagePreprocessing(info.num_levels, 0, c.data.scale, c.data.dequantize,
                                             c.data.binarize)
  examples = {info.key: preprocess(levels, np.zeros(num, np.int64), np.arange(num))}
  if c.data.paired_source:
    examples["source"] = data_lib.loader.PAIRED_SOURCES[c.data.paired_source](levels)
  if info.num_classes:
    examples["label"] = rng.integers(0, info.num_classes, num).astype(np.int32)
  return examples


def data_context(config, tmp_path, mock_tfds=True):
  """tfds.testing.mock_data for configs on TFDS datasets (with ``mock_tfds``), else nothing. A
  config that trains on another run's reflow pairs gets a stand-in file of random pairs of the
  data's shape."""
  if config.get("reflow") and config.reflow.pairs:
    shape = data_lib.dataset_info(config.data.name).shape
    config.reflow.pairs = str(tmp_path / "pairs.npz")
    np.savez(config.reflow.pairs, noise=np.zeros((8, *shape), np.float32),
             samples=np.zeros((8, *shape), np.float32))
  if mock_tfds and config.data.name in tfds_sources.TFDS_DATASETS:
    import tensorflow_datasets as tfds
    levels = tfds_sources.TFDS_DATASETS[config.data.name].num_levels
    return tfds.testing.mock_data(num_examples=128, max_value=levels - 1,
                                  as_data_source_fn=mock_records(levels - 1))
  return contextlib.nullcontext()


@pytest.mark.parametrize("name", CONFIGS)
def test_config_docstring_gives_a_launch_command(name):
  with open(os.path.join(EXPERIMENTS, f"{name}.py")) as f:
    assert f"jaxgen train --config experiments/{name}.py" in f.read()


@pytest.mark.parametrize("arg", ["", ":smoke"])
@pytest.mark.parametrize("name", CONFIGS)
def test_experiment_traces_at_full_size_and_smoke(name, arg, tmp_path, monkeypatch):
  """Shapes and dtypes line up, with no compile: init -> train_step at full size (the paper's
  batch and model), init -> eval_step, sample at smoke size (the data's shapes; tracing them at
  full size too cost the suite ~40 s)."""
  config = config_lib.load_config(os.path.join(EXPERIMENTS, f"{name}.py") + arg)
  if config.data.name in tfds_sources.TFDS_DATASETS:  # some experiments read data when built
    monkeypatch.setattr(runner.Run, "examples", random_examples)
  with data_context(config, tmp_path, mock_tfds=False):
    run = runner.Run(config)
  b, info = config.train.batch_size, run.info
  batch = {info.key: jax.ShapeDtypeStruct(
      (b, *info.shape), jnp.int32 if info.kind == "sequence" else jnp.float32)}
  if info.num_classes:
    batch["label"] = jax.ShapeDtypeStruct((b,), jnp.int32)
  if config.data.paired_source:
    batch["source"] = jax.ShapeDtypeStruct((b, *info.shape[:2], 1), jnp.float32)
  key = jax.random.PRNGKey(0)
  state = jax.eval_shape(run.experiment.init, key, batch)
  if not arg:  # full size: the train step
    new_state, metrics = jax.eval_shape(run.experiment.train_step, state, batch, key)
    assert jax.tree.structure(new_state) == jax.tree.structure(state)
    assert all(jax.tree.leaves(jax.tree.map(
        lambda a, b: a.shape == b.shape and a.dtype == b.dtype, new_state, state)))
    assert "loss" in metrics and metrics["loss"].shape == ()
    return
  # smoke size: evaluation and sampling
  batch["mask"] = jax.ShapeDtypeStruct((b,), jnp.float32)
  per_example = jax.eval_shape(run.experiment.eval_step, state, batch, key)
  assert all(v.shape == (config.train.batch_size,) for v in per_example.values()), per_example
  grid = jax.eval_shape(run.experiment.sample_grid, state, key)
  assert grid.shape[1:] == tuple(run.info.shape), grid.shape
  if type(run.experiment).sample_grid is Experiment.sample_grid:  # the grid is `sample` itself
    assert grid.shape[0] == config.eval.num_samples
  elif run.experiment.draws_samples:
    samples = jax.eval_shape(lambda state, key: run.experiment.sample(state, key, 4), state, key)
    assert samples.shape == (4, *run.info.shape)
  rows = run.experiment.grid_rows()  # the captions cover the grid's rows exactly
  if rows != (("samples", 0),):
    assert sum(n for _, n in rows) * run.experiment.grid_columns == grid.shape[0], (rows, grid)


@pytest.mark.parametrize("name", END_TO_END)
def test_experiment_runs_end_to_end_with_smoke(name, tmp_path, capsys):
  path = os.path.join(EXPERIMENTS, f"{name}.py")
  config = config_lib.load_config(path + ":smoke")
  workdir = str(tmp_path / name)
  with data_context(config, tmp_path):
    assert cli.main(["train", "--config", path + ":smoke", "--workdir", workdir]) == 0
    assert cli.main(["eval", "--workdir", workdir]) == 0
    assert cli.main(["sample", "--workdir", workdir, "--num", "8",
                     "--out", str(tmp_path / "samples.npz")]) == 0
  with open(os.path.join(workdir, "eval.json")) as f:
    metrics = json.load(f)
  assert metrics["step"] == config.train.num_steps
  assert all(math.isfinite(v) for v in metrics.values() if not isinstance(v, str)), metrics
  if config.eval.get("fid_extractor"):  # the features every sample metric is in, named
    assert metrics["fid_extractor"] == config.eval.fid_extractor, metrics
  stored = np.load(tmp_path / "samples.npz")
  samples = stored["samples"]
  assert samples.shape[0] == 8 and np.isfinite(samples).all()
  if samples.ndim == 4:  # images: `jaxgen fid` reads them back in [0, 1] from the recorded range
    low, high = stored["value_range"]
    assert (low, high) == data_lib.dataset_info(config.data.name).value_range(config.data.scale)
    images = fid_cli.read_images(str(tmp_path / "samples.npz"))
    np.testing.assert_allclose(images, (samples - low) / (high - low), atol=1e-6)
    if samples.shape[1:] == (8, 8, 1):
      assert cli.main(["fid", str(tmp_path / "samples.npz"), str(tmp_path / "samples.npz")]) == 0
  info = data_lib.dataset_info(config.data.name)
  if info.kind == "sequence":  # text: one sample per paragraph, the samples' tokens decoded
    assert cli.main(["sample", "--workdir", workdir, "--num", "8",
                     "--out", str(tmp_path / "samples.txt")]) == 0
    text = (tmp_path / "samples.txt").read_text().rstrip("\n").split("\n\n")
    assert text == [info.decode(row) for row in samples]
    assert os.path.exists(os.path.join(workdir, "samples", f"step_{config.train.num_steps}.txt"))
