"""What a researcher meets day to day: a reused workdir is never thrown away, batch jobs log,
user mistakes are one line with exit 2, interrupts exit non-zero, any kept step is usable."""

import contextlib
import io
import json
import os
import re
import signal

import numpy as np
import pytest

from conftest import EXPERIMENTS
from jaxgen import cli
from jaxgen.core import progress
from jaxgen.core import runner

AUTOENCODER = os.path.join(EXPERIMENTS, "autoencoder_digits.py")
SMALL = ["--config.model.hidden=(32,)", "--config.train.batch_size=32", "--config.log_every=5",
         "--config.eval_every=10", "--config.checkpoint_every=10", "--config.eval.batch_size=150"]


def train(workdir, *extra, config=AUTOENCODER, steps=20):
  return cli.main(["train", "--config", config, "--workdir", str(workdir),
                   f"--config.train.num_steps={steps}", *SMALL, *extra])


def one_error_line(capsys, command="train"):
  err = [line for line in capsys.readouterr().err.splitlines() if not line.startswith("[jaxgen")]
  assert len(err) == 1 and err[0].startswith(f"jaxgen {command}: error: "), err
  return err[0]


def snapshot(workdir):
  return {os.path.relpath(os.path.join(root, name), workdir): os.path.getsize(os.path.join(root, name))
          for root, _, names in os.walk(workdir) for name in names}


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
  """A finished 20-step autoencoder workdir (checkpoints at 10 and 20), trained as a batch job:
  stderr no terminal, a status line at every step; what it printed is in ``stderr.txt`` beside."""
  workdir = tmp_path_factory.mktemp("daily") / "ae"
  err = io.StringIO()
  with pytest.MonkeyPatch.context() as patch, contextlib.redirect_stderr(err):
    patch.setattr(progress, "STATUS_SECONDS", 0.0)
    assert train(workdir) == 0
  (workdir.parent / "stderr.txt").write_text(err.getvalue())
  return workdir


@pytest.mark.parametrize("extra, message", [
    (["--config.model.hidden=(16,)"], r"holds another model .*params/decoder/Dense_0/bias: saved "
                                      r"\(32,\) float32, config \(16,\) float32.*nothing was moved"),
    (["--config.data.name=binarized_digits"], "holds another run .*data.name: 'digits' there, "
                                              "'binarized_digits' here"),
])
def test_a_workdir_of_another_model_or_dataset_is_refused_and_left_as_it_was(
    trained, extra, message, capsys):
  before = snapshot(trained)
  metrics = (trained / "metrics.jsonl").read_text()
  assert train(trained, *extra, steps=40) == 2
  assert re.search(message, one_error_line(capsys))
  assert snapshot(trained) == before and (trained / "metrics.jsonl").read_text() == metrics
  assert not (trained / "checkpoints_unreadable").exists()


def test_another_family_in_the_workdir_is_refused(trained, capsys):
  gan = os.path.join(EXPERIMENTS, "dcgan_digits.py")
  assert cli.main(["train", "--config", gan + ":smoke", "--workdir", str(trained)]) == 2
  assert "family: 'autoencoder' there, 'gan' here" in one_error_line(capsys)


def test_eval_with_an_override_that_changes_the_model_is_one_line(trained, capsys):
  assert cli.main(["eval", "--workdir", str(trained), "--config.model.hidden=(16,)"]) == 2
  assert "holds another model" in one_error_line(capsys, "eval")


def test_any_kept_step_can_be_evaluated_and_sampled(trained, tmp_path, capsys):
  assert cli.main(["eval", "--workdir", str(trained), "--checkpoint", "10"]) == 0
  assert json.loads((trained / "eval.json").read_text())["step"] == 10
  assert cli.main(["sample", "--workdir", str(trained), "--checkpoint", "20", "--num", "4",
                   "--out", str(tmp_path / "s.npz")]) == 0
  capsys.readouterr()
  assert cli.main(["eval", "--workdir", str(trained), "--checkpoint", "15"]) == 2
  line = one_error_line(capsys, "eval")
  assert "no checkpoint of step 15" in line and "kept steps: 10, 20" in line


def test_a_batch_job_logs_status_lines_without_a_terminal(trained):
  err = (trained.parent / "stderr.txt").read_text()
  assert "initialising" in err and "compiling the train step" in err
  assert "evaluating on validation" in err
  status = [line for line in err.splitlines() if "steps/s" in line]
  assert status and all("ETA" in line for line in status)
  assert "step 20/20, loss " in status[-1] and "last eval" in status[-1]


def test_eval_reports_its_pass_in_status_lines(trained, monkeypatch, capsys):
  """300 test digits in batches of 150: the first batch is the compile's, a line at the end."""
  monkeypatch.setattr(progress, "STATUS_SECONDS", 0.0)
  assert cli.main(["eval", "--workdir", str(trained)]) == 0
  assert re.search(r"\] test examples 300/300, [\d.e+]+ examples/s, ETA 0.0 min\n",
                   capsys.readouterr().err)


@pytest.mark.parametrize("source, message", [
    ("def get_config(arg=None)\n  return 1\n", r"failed to load: SyntaxError: .*\(line 1\)"),
    ("def get_config(arg=None):\n  raise KeyError('x')\n",
     r"get_config\(None\) raised KeyError: 'x' \(line 2\)"),
    ("def get_config(arg=None):\n  return {'family': 'vae'}\n",
     "get_config must return an ml_collections.ConfigDict .*got dict"),
])
def test_a_broken_config_file_is_one_line(tmp_path, capsys, source, message):
  path = tmp_path / "mine.py"
  path.write_text(source)
  assert cli.main(["train", "--config", str(path), "--workdir", str(tmp_path / "w")]) == 2
  assert re.search(message, one_error_line(capsys))


def test_a_config_argument_the_config_does_not_take_is_an_error(tmp_path, capsys):
  assert cli.main(["train", "--config", AUTOENCODER + ":smok", "--workdir", str(tmp_path)]) == 2
  assert "takes no argument 'smok'; valid: smoke" in one_error_line(capsys)
  assert not (tmp_path / "config.json").exists()


def test_a_loss_of_the_wrong_shape_is_caught_at_the_first_step(tmp_path, capsys, monkeypatch):
  (tmp_path / "scalar_loss.py").write_text(
      "import jax.numpy as jnp\n"
      "def mse(logits, target, activation):\n"
      "  return jnp.mean((activation(logits) - target) ** 2)\n")  # the batch mean, not per example
  monkeypatch.syspath_prepend(str(tmp_path))
  assert train(tmp_path / "run", "--config.loss.name=scalar_loss:mse") == 2
  assert "loss must return per-example values of shape (32,)" in one_error_line(capsys)


def test_an_interrupt_before_the_first_step_exits_130_without_a_checkpoint(tmp_path, capsys,
                                                                          monkeypatch):
  initial_state = runner.Run.initial_state

  def interrupted_while_compiling(self, key):
    os.kill(os.getpid(), signal.SIGINT)  # Ctrl-C while init compiles
    return initial_state(self, key)

  monkeypatch.setattr(runner.Run, "initial_state", interrupted_while_compiling)
  assert train(tmp_path / "run") == 130
  err = capsys.readouterr().err
  assert "interrupted: SIGINT at step 0: no step was made, no checkpoint written" in err
  assert not os.listdir(tmp_path / "run" / "checkpoints")


def tensorboard_events(workdir):
  """(tag, step, kind) of every summary value in the workdir's event files (TFRecord framing:
  length, its CRC, the Event proto, its CRC)."""
  from tensorboardX.proto import event_pb2

  found = []
  for name in sorted(os.listdir(workdir / "tb")):
    data = (workdir / "tb" / name).read_bytes()
    offset = 0
    while offset < len(data):
      length = int.from_bytes(data[offset:offset + 8], "little")
      event = event_pb2.Event.FromString(data[offset + 12:offset + 12 + length])
      offset += 12 + length + 4
      for value in event.summary.value:
        found.append((value.tag, event.step, value.WhichOneof("value")))
  return found


def test_tensorboard_has_the_sample_grids_and_the_eval_metrics(trained):
  assert cli.main(["eval", "--workdir", str(trained), "--checkpoint", "20"]) == 0
  events = tensorboard_events(trained)
  assert ("samples", 10, "image") in events and ("samples", 20, "image") in events
  assert ("jaxgen_eval_test/recon_mse", 20, "simple_value") in events
  assert ("eval/recon_mse", 20, "simple_value") in events  # training's own eval rows


def test_grid_blocks_are_captioned(tmp_path):
  from PIL import Image
  from jaxgen.core import logging as logging_lib

  images = np.zeros((30, 8, 8, 1), np.float32)
  plain, captioned = tmp_path / "plain.png", tmp_path / "captioned.png"
  logging_lib.save_image_grid(images, str(plain), (0.0, 1.0), 10)
  logging_lib.save_image_grid(images, str(captioned), (0.0, 1.0), 10,
                              captions=(("samples", 2), ("reconstructions", 1)))
  plain, captioned = (np.asarray(Image.open(p)) for p in (plain, captioned))
  margin = captioned.shape[1] - plain.shape[1]
  assert captioned.shape[0] == plain.shape[0] and margin > 40
  np.testing.assert_array_equal(captioned[:, margin:], plain)
  ink = (captioned[:, :margin] < 128).any(axis=1)  # text only where a block starts
  row = 9 * 4
  assert ink[:row].any() and not ink[row:2 * row].any() and ink[2 * row:3 * row].any()


def test_the_core_install_has_no_tensorflow_and_the_docs_route_to_gpus_and_real_data():
  import tomllib

  with open(os.path.join(os.path.dirname(EXPERIMENTS), "pyproject.toml"), "rb") as f:
    project = tomllib.load(f)["project"]
  assert not [d for d in project["dependencies"] if d.startswith("tensorflow")]
  assert any(d.startswith("tensorflow-datasets") for d in project["optional-dependencies"]["tfds"])
  with open(os.path.join(os.path.dirname(EXPERIMENTS), "docs", "launching.md")) as f:
    launching = f.read()
  for needed in ('"jax[cuda12]"', '"jax[tpu]"', "tfds build", "--file_format=array_record",
                 "#SBATCH", "srun jaxgen train", "tpu-vm ssh", "JAXGEN_COORDINATOR_ADDRESS"):
    assert needed in launching, needed
