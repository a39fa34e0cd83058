"""The command line: listing, one-line errors with exit status 2, --debug tracebacks."""

import json
import os

import numpy as np
import pytest

from conftest import EXPERIMENTS
from jaxgen import cli
from jaxgen.errors import UnknownNameError

CONFIG = os.path.join(EXPERIMENTS, "autoencoder_digits.py")


def test_list_shows_every_experiment_with_its_description(capsys):
  assert cli.main(["list", "--dir", EXPERIMENTS]) == 0
  lines = capsys.readouterr().out.splitlines()
  names = sorted(f[:-3] for f in os.listdir(EXPERIMENTS) if f.endswith(".py") and not f.startswith("_"))
  assert [line.split()[0] for line in lines] == names
  assert any("Undercomplete MLP autoencoder" in line for line in lines)


@pytest.mark.parametrize("override,message", [
    ("--config.data.name=digitz", "unknown dataset 'digitz'; valid: "),
    ("--config.loss.name=l2", "unknown autoencoder loss 'l2'; valid: bce, mse"),
    ("--config.family=gann", "unknown family 'gann'; valid: autoencoder"),
    ("--config.train.batch_size=0", "'train.batch_size' must be the global batch size, an int > 0, got 0"),
    ("--config.trian.num_steps=3", "unknown config field 'trian'"),
])
def test_user_errors_are_one_line_with_exit_status_2(override, message, tmp_path, capsys):
  status = cli.main(["train", "--config", CONFIG, "--workdir", str(tmp_path), override])
  err = capsys.readouterr().err
  assert status == 2
  assert err.startswith("jaxgen train: error: ") and message in err
  assert len(err.strip().splitlines()) == 1, err


def test_debug_shows_the_traceback(tmp_path):
  with pytest.raises(UnknownNameError):
    cli.main(["--debug", "train", "--config", CONFIG, "--workdir", str(tmp_path),
              "--config.data.name=digitz"])


def test_eval_without_a_workdir_or_checkpoint_is_a_clear_error(tmp_path, capsys):
  assert cli.main(["eval", "--workdir", str(tmp_path / "nothing")]) == 2
  assert "is not a jaxgen workdir" in capsys.readouterr().err


def test_sample_rejects_an_unknown_output_format(tmp_path, capsys):
  (tmp_path / "config.json").write_text("{}")
  assert cli.main(["sample", "--workdir", str(tmp_path), "--out", "x.gif"]) == 2
  assert "must end in .png" in capsys.readouterr().err


def test_eval_and_sample_take_config_overrides_for_this_use_only(tmp_path, capsys):
  workdir = str(tmp_path / "run")
  assert cli.main(["train", "--config", CONFIG + ":smoke", "--workdir", workdir]) == 0
  before = (tmp_path / "run" / "config.json").read_text()
  assert cli.main(["sample", "--workdir", workdir, "--num", "3", "--out", str(tmp_path / "s.npz"),
                   "--config.eval.batch_size=2"]) == 0  # Drawn in chunks of 2: 2 + 1.
  assert cli.main(["eval", "--workdir", workdir, "--config.eval.batch_size=32"]) == 0
  assert (tmp_path / "run" / "config.json").read_text() == before
  assert cli.main(["eval", "--workdir", workdir, "--config.eval.batch_sise=32"]) == 2
  assert "unknown config field 'eval.batch_sise'" in capsys.readouterr().err


def test_one_class_trains_each_class_alone_and_tables_the_aurocs(tmp_path, capsys):
  root = tmp_path / "oc"
  args = ["one-class", "--config", CONFIG + ":smoke", "--root", str(root), "--classes", "0,3",
          "--config.train.num_steps=4", "--config.eval_every=4", "--config.checkpoint_every=4"]
  assert cli.main(args) == 0
  with open(root / "one_class.json") as f:
    result = json.load(f)
  for k in (0, 3):
    with open(root / f"class_{k}" / "config.json") as f:
      assert json.load(f)["data"]["exclude_labels"] == [c for c in range(10) if c != k]
    with open(root / f"class_{k}" / "eval.json") as f:
      assert result["per_class"][str(k)] == json.load(f)["anomaly_auroc"]
  assert result["mean"] == pytest.approx(np.mean(list(result["per_class"].values())))
  assert "| mean |" in (root / "one_class.md").read_text()
  assert cli.main(args) == 0  # done: nothing trains or evaluates again
  assert cli.main(["one-class", "--config", CONFIG, "--root", str(root), "--classes", "0,x"]) == 2
  assert "expected integers separated by commas" in capsys.readouterr().err


def test_one_class_over_seeds_is_mean_and_sd_of_each_seeds_protocol(tmp_path, monkeypatch):
  """--seeds runs the single-seed protocol in ROOT/s<seed> with the seed set, then averages: the
  training is stubbed (the test above runs it); the arithmetic is checked against NumPy."""
  from jaxgen.results import one_class
  calls, aurocs = [], {0: [0.9, 0.6], 1: [0.8, 0.7], 2: [0.7, 0.5]}
  real = one_class.one_class

  def one_seed(config_path, root, classes, overrides, seeds=None):
    if seeds is not None:
      return real(config_path, root, classes, overrides, seeds)
    calls.append((root, list(overrides)))
    seed = int(overrides[-1].split("=")[1])
    return {"per_class": dict(zip(classes, aurocs[seed])), "class_names": {0: "T-shirt/top"}}

  monkeypatch.setattr(one_class, "one_class", one_seed)
  result = one_class.one_class(CONFIG, str(tmp_path), [0, 3], ["train.num_steps=4"], [0, 1, 2])
  assert calls == [(str(tmp_path / f"s{s}"), ["train.num_steps=4", f"seed={s}"]) for s in (0, 1, 2)]
  values = np.array(list(aurocs.values()))
  assert result["per_class"] == pytest.approx(dict(zip([0, 3], values.mean(axis=0))))
  assert result["per_class_sd"] == pytest.approx(dict(zip([0, 3], values.std(axis=0, ddof=1))))
  assert result["mean"] == pytest.approx(values.mean())
  assert result["sd"] == pytest.approx(values.mean(axis=1).std(ddof=1))
  table = (tmp_path / "one_class.md").read_text()
  assert "| AUROC, mean ± sd over seeds 0, 1, 2 |" in table.splitlines()[0]
  assert "| 0 (T-shirt/top) | 0.8 ± 0.1 |" in table
  with open(tmp_path / "one_class.json") as f:
    assert json.load(f)["seeds"] == [0, 1, 2]
