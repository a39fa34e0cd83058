"""Results tooling: reproduction targets, `jaxgen reproduce`, `jaxgen compare`, `jaxgen report`."""

import base64
import csv
import html.parser
import io
import json
import os
import re
import shutil
import subprocess

import pytest
from PIL import Image

from jaxgen import cli
from jaxgen.errors import ConfigError
from jaxgen.results import compare, registry, report
from jaxgen.errors import WorkdirError

# An autoencoder config of its own (nothing imported from experiments/), shrunk by smoke() to
# seconds, with targets a 12-step run meets: every comparison operator appears once.
REPRODUCIBLE_CONFIG = '''
"""A tiny autoencoder with reproduction targets, for tests."""
import ml_collections
from jaxgen.core.config import base_config, smoke


def get_config(arg=None):
  config = base_config()
  config.family = "autoencoder"
  config.description = "test autoencoder"
  config.data.name = "digits"
  config.data.exclude_labels = (9,)
  config.model.name = "mlp"
  config.model.hidden = (32,)
  config.model.features = (8,)
  config.model.latent_dim = 4
  config.model.code_activation = "linear"
  config.loss.name = "mse"
  config.loss.noise = ""
  config.loss.noise_level = 0.0
  config.loss.l1_weight = 0.0
  config.loss.kl_weight = 0.0
  config.loss.kl_target_rate = 0.05
  config.loss.contractive_weight = 0.0
  smoke(config)
  config.reproduce = ml_collections.ConfigDict()
  config.reproduce.targets = ("recon_mse <= 1.0", "num_test_examples == 128",
                              "anomaly_auroc ~= 0.5 +- 0.5", "recon_mse >= 0")
  config.reproduce.source = "jaxgen baseline"
  config.reproduce.paper = ""
  config.reproduce.protocol = "the first 128 test digits (smoke)"
  config.reproduce.compute = "seconds on a CPU"
  return config
'''


@pytest.mark.parametrize("text,metric,op,value,tolerance", [
    ("modes_captured >= 25", "modes_captured", ">=", 25.0, None),
    ("high_quality_frac>=0.94", "high_quality_frac", ">=", 0.94, None),
    ("  fid <= 12.5 ", "fid", "<=", 12.5, None),
    ("num_classes_generated == 10", "num_classes_generated", "==", 10.0, None),
    ("elbo >= -20.7", "elbo", ">=", -20.7, None),
    ("kid <= 5e-3", "kid", "<=", 0.005, None),
    ("bits_per_dim ~= 3.49 +- 0.05", "bits_per_dim", "~=", 3.49, 0.05),
    ("nll ~= .5 +- 1E-2", "nll", "~=", 0.5, 0.01),
])
def test_targets_parse_every_operator(text, metric, op, value, tolerance):
  target = registry.parse_target(text)
  assert (target.metric, target.op, target.value, target.tolerance) == (metric, op, value, tolerance)
  assert target.text == text.strip()


@pytest.mark.parametrize("text", [
    "modes_captured > 25", "modes_captured => 25", "modes_captured >= ", ">= 25",
    "modes_captured >= many", "bits_per_dim ~= 3.49", "fid <= 12 +- 1", "nll ~= 1 +- -0.1",
    "fid <= 12 extra", "fid <= 1.2.3", "", 25,
])
def test_a_malformed_target_is_a_config_error_naming_the_config_and_the_string(text):
  with pytest.raises(ConfigError) as error:
    registry.parse_target(text, "experiment 'gan_ring8'")
  assert "experiment 'gan_ring8'" in str(error.value) and repr(text) in str(error.value)


@pytest.mark.parametrize("text,passing,failing", [
    ("m <= 1.5", [1.5, -3.0], [1.5000001]),
    ("m >= 25", [25, 26.5], [24.999]),
    ("m == 10", [10, 10.0], [9.999, 11]),
    ("m ~= 3.49 +- 0.05", [3.44, 3.49, 3.54], [3.43, 3.55]),
    ("m ~= -1 +- 0", [-1.0], [-0.999]),
])
def test_targets_hold_inclusively_and_nan_never_does(text, passing, failing):
  target = registry.parse_target(text)
  assert all(target.holds(v) for v in passing)
  assert not any(target.holds(v) for v in failing + [float("nan")])


def reproduction(*targets, paper="17.3"):
  return registry.Reproduction(name="gan_grid25", targets=tuple(map(registry.parse_target, targets)),
                               source="PacGAN Table 1", paper=paper, protocol="2,500 samples")


def test_check_against_an_eval_json_passes_fails_and_names_missing_metrics():
  metrics = {"modes_captured": 25, "high_quality_frac": 0.93, "mmd2": 0.01, "step": 100}
  record = registry.result_record(
      reproduction("modes_captured >= 25", "high_quality_frac >= 0.94", "fid <= 10"), metrics)
  assert [(t["metric"], t["value"], t["pass"]) for t in record["targets"]] == [
      ("modes_captured", 25, True), ("high_quality_frac", 0.93, False), ("fid", None, False)]
  assert record["targets"][2]["error"] == ("metric 'fid' is not in eval.json; available: "
                                           "high_quality_frac, mmd2, modes_captured")
  assert record["pass"] is False and record["step"] == 100
  assert (record["name"], record["source"], record["paper"], record["protocol"]) == (
      "gan_grid25", "PacGAN Table 1", "17.3", "2,500 samples")
  assert registry.result_record(reproduction("modes_captured >= 25"), metrics)["pass"] is True


def config_with(**reproduce):
  import ml_collections
  config = ml_collections.ConfigDict()
  config.reproduce = ml_collections.ConfigDict(reproduce)
  return config


@pytest.mark.parametrize("reproduce,message", [
    (dict(targets=("fid <= 1",), source="x", tolerance=1.0), "unknown config.reproduce field(s) tolerance"),
    (dict(targets=(), source="x"), "targets must be a non-empty tuple"),
    (dict(targets="fid <= 1", source="x"), "targets must be a non-empty tuple"),
    (dict(targets=("fid <= 1",)), "source must name the paper"),
    (dict(targets=("fid <= 1",), source="x", paper=17.3), "paper must be a str"),
    (dict(targets=("fid < 1",), source="x"), "reproduce target 'fid < 1' must look like"),
])
def test_a_malformed_reproduce_group_is_a_config_error(reproduce, message):
  with pytest.raises(ConfigError, match=re.escape(message)) as error:
    registry.reproduction_of("my_experiment", config_with(**reproduce))
  assert "experiment 'my_experiment'" in str(error.value)


def write_json(path, value):
  os.makedirs(os.path.dirname(path), exist_ok=True)
  with open(path, "w") as f:
    json.dump(value, f)


def test_the_results_table_has_a_row_per_target(tmp_path, capsys):
  for name, value in (("a", 25.0), ("b", 3.51234)):
    workdir = tmp_path / name
    repro = reproduction("modes_captured >= 25" if name == "a" else "bits_per_dim ~= 3.49 +- 0.01",
                         paper="" if name == "a" else "3.49")
    record = registry.result_record(repro, {"modes_captured": value, "bits_per_dim": value,
                                            "step": 100})
    record["name"] = f"exp_{name}"
    write_json(str(workdir / "reproduce.json"), record)
  out = tmp_path / "results.md"
  assert cli.main(["reproduce", "--table", str(tmp_path / "a"), str(tmp_path / "b"),
                   "--out", str(out)]) == 0
  table = capsys.readouterr().out
  assert table.splitlines() == [
      "| experiment | step | metric | ours | target | paper | pass |",
      "|---|---|---|---|---|---|---|",
      "| `exp_a` | 100 | modes_captured | 25 | >= 25 |  | pass |",
      "| `exp_b` | 100 | bits_per_dim | 3.512 | 3.49 ± 0.01 | 3.49 | **FAIL** |"]
  assert out.read_text() == table
  assert cli.main(["reproduce", "--table", str(tmp_path / "nothing")]) == 2
  assert "has no reproduce.json (run `jaxgen reproduce NAME" in capsys.readouterr().err


def test_reproduce_list_shows_only_configs_with_targets(tmp_path, capsys):
  (tmp_path / "ae_tiny.py").write_text(REPRODUCIBLE_CONFIG)
  (tmp_path / "plain.py").write_text("from jaxgen.core.config import base_config\n"
                                     "def get_config(arg=None):\n  return base_config()\n")
  assert cli.main(["reproduce", "--list", "--dir", str(tmp_path)]) == 0
  lines = capsys.readouterr().out.splitlines()
  assert lines[0] == "| experiment | targets | source | compute |"
  assert lines[2:] == ["| `ae_tiny` | recon_mse <= 1.0; num_test_examples == 128; "
                       "anomaly_auroc ~= 0.5 +- 0.5; recon_mse >= 0 | jaxgen baseline | "
                       "seconds on a CPU |"]
  (tmp_path / "broken.py").write_text(REPRODUCIBLE_CONFIG.replace('"recon_mse >= 0"', '"recon_mse > 0"'))
  assert cli.main(["reproduce", "--list", "--dir", str(tmp_path)]) == 2
  err = capsys.readouterr().err
  assert "experiment 'broken'" in err and "'recon_mse > 0'" in err and len(err.splitlines()) == 1


@pytest.mark.parametrize("argv,message", [
    (["reproduce"], "give one of NAME, --list, --table W1 W2 ... or --offline ROOT"),
    (["reproduce", "--offline", "r", "--config.seed=1"], "overrides apply to NAME only"),
    (["reproduce", "x", "--list"], "not NAME and --list"),
    (["reproduce", "--list", "--config.seed=1"], "overrides apply to NAME only"),
    (["reproduce", "ae_tiny"], "needs --workdir"),
    (["reproduce", "nope", "--workdir", "w"], "unknown experiment 'nope'"),
    (["reproduce", "plain", "--workdir", "w"], "experiment 'plain' declares no config.reproduce"),
])
def test_reproduce_user_errors_exit_2(argv, message, tmp_path, capsys):
  (tmp_path / "ae_tiny.py").write_text(REPRODUCIBLE_CONFIG)
  (tmp_path / "plain.py").write_text("from jaxgen.core.config import base_config\n"
                                     "def get_config(arg=None):\n  return base_config()\n")
  assert cli.main(argv + ["--dir", str(tmp_path)]) == 2
  assert message in capsys.readouterr().err


# One evaluation and one checkpoint: the run is compile time, kept to a minimum.
SHORTER = ["--config.train.num_steps=4", "--config.log_every=2", "--config.eval_every=4",
           "--config.checkpoint_every=4"]


def test_reproduce_trains_evaluates_checks_and_reuses_its_workdir(tmp_path, capsys):
  (tmp_path / "ae_tiny.py").write_text(REPRODUCIBLE_CONFIG)
  workdir = str(tmp_path / "run")
  assert cli.main(["reproduce", "ae_tiny", "--dir", str(tmp_path), "--workdir", workdir,
                   *SHORTER]) == 0
  out = capsys.readouterr().out
  with open(os.path.join(workdir, "reproduce.json")) as f:
    record = json.load(f)
  with open(os.path.join(workdir, "eval.json")) as f:
    metrics = json.load(f)
  assert metrics["step"] == 4 and record["step"] == 4 and record["pass"] is True
  assert [(t["metric"], t["value"]) for t in record["targets"]] == [
      ("recon_mse", metrics["recon_mse"]), ("num_test_examples", 128),
      ("anomaly_auroc", metrics["anomaly_auroc"]), ("recon_mse", metrics["recon_mse"])]
  assert (record["source"], record["paper"], record["protocol"]) == ("jaxgen baseline", "",
                                                                     "the first 128 test digits (smoke)")
  assert "| `ae_tiny` | 4 | num_test_examples | 128 | == 128 |  | pass |" in out.splitlines()
  assert "all targets met" in out
  trained = open(os.path.join(workdir, "metrics.jsonl")).read()

  # Again on the same workdir, with a target it misses and one about a metric it lacks:
  # nothing is retrained, and the exit status is 1.
  assert cli.main(["reproduce", "ae_tiny", "--dir", str(tmp_path), "--workdir", workdir, *SHORTER,
                   "--config.reproduce.targets=('recon_mse >= 100', 'fid <= 5')"]) == 1
  captured = capsys.readouterr()
  assert open(os.path.join(workdir, "metrics.jsonl")).read() == trained
  assert "resumed from step 4" in captured.out and "a target is not met" in captured.out

  assert "metric 'fid' is not in eval.json; available: anomaly_auroc," in captured.err
  assert "| `ae_tiny` | 4 | fid | missing | <= 5 |  | **FAIL** |" in captured.out.splitlines()
  with open(os.path.join(workdir, "reproduce.json")) as f:
    assert [t["pass"] for t in json.load(f)["targets"]] == [False, False]

  # The report reads what the runner really wrote.
  document = report.render(workdir)
  assert "samples at step 4" in document and "first step, s (incl. compilation)" in document
  assert f"<th>recon_mse</th><td class=\"number\">{metrics['recon_mse']:.4g}</td>" in document

  # --reuse-eval checks the eval.json of the trained step as it stands, without evaluating.
  with open(os.path.join(workdir, "eval.json"), "w") as f:
    json.dump({**metrics, "recon_mse": 123.0}, f)
  assert cli.main(["reproduce", "ae_tiny", "--dir", str(tmp_path), "--workdir", workdir, *SHORTER,
                   "--reuse-eval", "--config.reproduce.targets=('recon_mse >= 100',)"]) == 0
  with open(os.path.join(workdir, "reproduce.json")) as f:
    record = json.load(f)
  assert record["evaluation"] == "reused" and record["targets"][0]["value"] == 123.0


def test_reproduce_offline_runs_every_experiment_on_embedded_data_and_writes_the_table(tmp_path, capsys):
  (tmp_path / "ae_tiny.py").write_text(REPRODUCIBLE_CONFIG)
  # Needs TFDS MNIST: listed by --list, skipped by --offline.
  (tmp_path / "ae_mnist.py").write_text(REPRODUCIBLE_CONFIG.replace('config.data.name = "digits"',
                                                                    'config.data.name = "mnist"'))
  root, out = tmp_path / "runs", tmp_path / "results.md"
  assert cli.main(["reproduce", "--offline", str(root), "--dir", str(tmp_path), "--out", str(out)]) == 0
  printed = capsys.readouterr().out
  assert sorted(os.listdir(root)) == ["ae_tiny"]
  table = out.read_text()
  assert table in printed and "| `ae_tiny` | 12 | num_test_examples | 128 | == 128 |  | pass |" in table
  assert "ae_mnist" not in table


def fake_workdir(path, family, data, evaluation, description=""):
  write_json(os.path.join(path, "config.json"),
             {"family": family, "data": {"name": data}, "description": description, "seed": 0})
  write_json(os.path.join(path, "eval.json"), evaluation)
  return str(path)


def test_compare_lines_families_up_in_the_fixed_metric_order(tmp_path, capsys):
  gan = fake_workdir(tmp_path / "gan", "gan", "ring8",
                     {"mmd2": 0.0123456, "modes_captured": 8, "high_quality_frac": 0.975, "step": 10},
                     description="GAN | packing")
  flow = fake_workdir(tmp_path / "flow", "flows", "ring8",
                      {"nll": 1.25, "bits_per_dim": 0.9017, "mmd2": 0.002, "recon": 3.0, "step": 5})
  out = tmp_path / "tables" / "ring8.md"
  assert cli.main(["compare", gan, flow, "--out", str(out)]) == 0
  printed = capsys.readouterr().out
  assert printed.splitlines() == [
      "| run | family | data | description | bits_per_dim | nll | modes_captured | "
      "high_quality_frac | mmd2 |",
      "|---|---|---|---|---|---|---|---|---|",
      f"| {gan} | gan | ring8 | GAN \\| packing |  |  | 8 | 0.975 | 0.01235 |",
      f"| {flow} | flows | ring8 |  | 0.9017 | 1.25 |  |  | 0.002 |"]
  assert out.read_text() == printed
  with open(tmp_path / "tables" / "ring8.csv") as f:
    rows = list(csv.reader(f))
  assert rows[0][4:] == ["bits_per_dim", "nll", "modes_captured", "high_quality_frac", "mmd2"]
  assert rows[1][3:] == ["GAN | packing", "", "", "8", "0.975", "0.0123456"]
  assert cli.main(["compare", gan, str(tmp_path / "empty")]) == 2
  assert "has no config.json (run `jaxgen train" in capsys.readouterr().err
  with pytest.raises(ConfigError, match="CSV goes beside it"):
    compare.compare([gan], str(tmp_path / "x.csv"))


def png_bytes(color, size=(24, 16)):
  buffer = io.BytesIO()
  Image.new("RGB", size, color).save(buffer, format="PNG")
  return buffer.getvalue()


def report_workdir(tmp_path):
  """A workdir with two splits of metrics, three sample grids (listed out of order), eval.json."""
  workdir = fake_workdir(tmp_path / "run", "vae", "digits",
                         {"bits_per_dim": 1.86712, "kid": 0.147, "step": 30}, "a test VAE")
  rows = [{"step": s, "split": "train", "loss": 10.0 / s, "grad_norm": 1.0, "steps_per_sec": sps}
          for s, sps in ((10, 50.0), (20, 100.0), (30, 200.0))]
  rows[0]["first_step_seconds"] = 4.5
  rows += [{"step": s, "split": "eval", "loss": 1.0 / s, "elbo": -s} for s in (10, 30)]
  with open(os.path.join(workdir, "metrics.jsonl"), "w") as f:
    f.writelines(json.dumps(row) + "\n" for row in rows)
  os.makedirs(os.path.join(workdir, "samples"))
  for step, color in ((100, "red"), (20, "green"), (3, "blue")):
    with open(os.path.join(workdir, "samples", f"step_{step}.png"), "wb") as f:
      f.write(png_bytes(color))
  return workdir


class TagBalance(html.parser.HTMLParser):
  """Checks that every non-void element is closed in order; collects <img> sources and alts."""
  VOID = {"meta", "link", "img", "br", "hr", "input"}

  def __init__(self):
    super().__init__()
    self.open, self.images, self.errors = [], [], []

  def handle_starttag(self, tag, attrs):
    if tag == "img":
      self.images.append(dict(attrs))
    if tag not in self.VOID:
      self.open.append(tag)

  def handle_endtag(self, tag):
    if not self.open or self.open.pop() != tag:
      self.errors.append(tag)


def test_report_is_one_html_file_with_curves_samples_eval_timing_and_config(tmp_path, capsys):
  workdir = report_workdir(tmp_path)
  assert cli.main(["report", workdir]) == 0
  assert capsys.readouterr().out.strip() == f"wrote {os.path.join(workdir, 'report.html')}"
  document = open(os.path.join(workdir, "report.html"), encoding="utf-8").read()
  assert document.startswith("<!DOCTYPE html>")
  checker = TagBalance()
  checker.feed(document)
  assert checker.errors == [] and checker.open == []
  sources = [image["src"] for image in checker.images]
  assert all(src.startswith("data:image/png;base64,") for src in sources)
  assert not re.search(r"""(src|href)=["'](?!data:)""", document)  # nothing outside the file
  # Curves: elbo, grad_norm, loss (train and eval on one plot), steps_per_sec; loss first.
  alts = [image["alt"] for image in checker.images]
  assert alts == ["loss over training steps", "elbo over training steps",
                  "grad_norm over training steps", "steps_per_sec over training steps",
                  "samples at step 3", "samples at step 20", "samples at step 100"]
  for src, alt in zip(sources, alts):
    picture = Image.open(io.BytesIO(base64.b64decode(src.split(",", 1)[1])))
    assert picture.format == "PNG"
  for color, src in zip(("blue", "green", "red"), sources[4:]):
    assert base64.b64decode(src.split(",", 1)[1]) == png_bytes(color)
  assert "<th>bits_per_dim</th><td class=\"number\">1.867</td>" in document
  assert "<th>kid</th><td class=\"number\">0.147</td>" in document
  assert "Final evaluation (step 30, eval.json)" in document
  assert "<th>median train steps/s</th><td class=\"number\">100</td>" in document
  assert "<th>first step, s (incl. compilation)</th><td class=\"number\">4.5</td>" in document
  # 10 steps at 50/s + 10 at 100/s + 10 at 200/s.
  assert re.search(r"training time, s [^<]*</th><td class=\"number\">0.35</td>", document)
  assert "&quot;family&quot;: &quot;vae&quot;" in document  # the config, pretty and escaped


def test_report_thins_out_many_sample_grids_and_needs_a_workdir(tmp_path):
  workdir = report_workdir(tmp_path)
  for step in range(200, 200 + 30 * 10, 10):
    with open(os.path.join(workdir, "samples", f"step_{step}.png"), "wb") as f:
      f.write(png_bytes("white"))
  grids, total = report.sample_grids(workdir)
  steps = [step for step, _ in grids]
  assert total == 33 and len(grids) == report.MAX_SAMPLE_GRIDS
  assert steps == sorted(steps) and steps[0] == 3 and steps[-1] == 490
  assert f"({report.MAX_SAMPLE_GRIDS} of 33, evenly spaced)" in report.render(workdir)
  with pytest.raises(WorkdirError, match="has no config.json"):
    report.write_report(str(tmp_path / "nothing"))


def chromium():
  return shutil.which("chromium") or shutil.which("chromium-browser")


def render_in_chromium(path, profile):
  """(stderr console lines, dumped DOM) of ``path`` in headless Chromium."""
  result = subprocess.run(
      [chromium(), "--headless", "--disable-gpu", "--no-sandbox", "--enable-logging=stderr",
       "--v=0", f"--user-data-dir={profile}", "--dump-dom", f"file://{os.path.abspath(path)}"],
      capture_output=True, text=True, timeout=120)
  assert result.returncode == 0, result.stderr[-2000:]
  console = [line for line in result.stderr.splitlines() if ":CONSOLE" in line or "Uncaught" in line]
  return console, result.stdout


@pytest.mark.skipif(chromium() is None, reason="chromium not installed (apt install chromium)")
def test_report_renders_in_headless_chromium_without_console_errors(tmp_path):
  # The check sees console messages at all: a page with a script error must show one.
  broken = tmp_path / "broken.html"
  broken.write_text("<!DOCTYPE html><html><head><title>x</title></head><body>"
                    "<script>notDefined();</script></body></html>")
  console, _ = render_in_chromium(broken, tmp_path / "profile_broken")
  assert any("Uncaught ReferenceError" in line for line in console), console

  path = report.write_report(report_workdir(tmp_path))
  console, dom = render_in_chromium(path, tmp_path / "profile_report")
  assert console == []
  assert len(re.findall(r'<img src="data:image/png;base64,', dom)) == 7
  # Every image decodes in the browser: a probe script (in a copy) counts those without pixels.
  probe = tmp_path / "probe.html"
  probe.write_text(open(path, encoding="utf-8").read().replace(
      "</body>", "<script>window.addEventListener('load', () => { document.body.dataset.broken ="
      " [...document.images].filter(i => !i.complete || !i.naturalWidth).length; });</script>"
      "</body>"), encoding="utf-8")
  console, dom = render_in_chromium(probe, tmp_path / "profile_probe")
  assert console == [] and 'data-broken="0"' in dom


def test_shipped_datasets_are_exactly_those_read_from_no_files(tmp_path, monkeypatch):
  """Every registered dataset outside SHIPPED_DATASETS needs files: TFDS's, and the others fail
  to read with none anywhere (an empty data.dir and JAXGEN_DATA_DIR, no system folders)."""
  from jaxgen import data
  from jaxgen.data import audio, idx, text, tfds_sources
  from jaxgen.errors import JaxgenError
  from jaxgen.results import registry as results_registry
  monkeypatch.setenv("JAXGEN_DATA_DIR", str(tmp_path))
  monkeypatch.setattr(idx, "SYSTEM_DIRS", {})
  monkeypatch.setattr(text, "SYSTEM_DIR", str(tmp_path / "none"))
  monkeypatch.setattr(audio, "DEFAULT_DIR", str(tmp_path / "none"))
  needs_files = set(tfds_sources.TFDS_DATASETS)  # read by TensorFlow from prepared files
  for name in set(data.dataset_names()) - needs_files:
    try:
      data.sources.source(name).read("test", str(tmp_path))
    except (JaxgenError, OSError, ImportError):
      needs_files.add(name)
  assert set(results_registry.SHIPPED_DATASETS) == set(data.dataset_names()) - needs_files
