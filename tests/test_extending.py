"""docs/extending.md works as written: its tested command block and its example modules."""

import json
import os
import re
import subprocess
import sys

import jax.numpy as jnp
import numpy as np
import pytest
import scipy.stats

from conftest import REPO
from jaxgen import data as data_lib
from jaxgen.errors import DataError
from jaxgen.families.gan import losses

GUIDE = os.path.join(REPO, "docs", "extending.md")
EXAMPLES = os.path.join(REPO, "docs", "examples")
TESTED_MARK = "<!-- tested: tests/test_extending.py"


def guide_block() -> str:
  """The ```bash block that follows the guide's 'tested' mark."""
  with open(GUIDE) as f:
    guide = f.read()
  match = re.search(re.escape(TESTED_MARK) + r".*?-->\n```bash\n(.*?)```", guide, re.DOTALL)
  assert match, f"{GUIDE} has no ```bash block after {TESTED_MARK!r}"
  return match.group(1)


@pytest.fixture
def examples_importable(monkeypatch):
  monkeypatch.syspath_prepend(EXAMPLES)


def test_the_guides_loss_commands_run_as_written(tmp_path):
  # A scratch checkout: the block's relative paths resolve, and its runs/ lands in tmp_path.
  for name in ("experiments", "docs"):
    os.symlink(os.path.join(REPO, name), tmp_path / name)
  environment = dict(os.environ, JAX_PLATFORMS="cpu",
                     PATH=os.path.dirname(sys.executable) + os.pathsep + os.environ["PATH"])
  environment.pop("PYTHONPATH", None)  # the block must set what it needs itself
  result = subprocess.run(["bash", "-euo", "pipefail", "-c", guide_block()], cwd=tmp_path,
                          env=environment, capture_output=True, text=True, timeout=600)
  assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
  workdir = tmp_path / "runs" / "ragan_smoke"
  with open(workdir / "config.json") as f:
    assert json.load(f)["loss"]["name"] == "my_losses:relativistic_average"
  with open(workdir / "eval.json") as f:
    metrics = json.load(f)
  assert metrics["step"] == 12 and np.isfinite(metrics["mmd2"])
  rows = [json.loads(line) for line in open(workdir / "metrics.jsonl")]
  assert all(np.isfinite(row["d_loss"]) and np.isfinite(row["g_loss"])
             for row in rows if row["split"] == "train")


def test_relativistic_average_matches_the_papers_formula(examples_importable):
  from my_losses import relativistic_average

  rng = np.random.default_rng(0)
  real, fake = rng.normal(size=7), rng.normal(size=7) - 1.0
  sigmoid = lambda v: 1.0 / (1.0 + np.exp(-v))  # noqa: E731
  d_expected = -np.log(sigmoid(real - fake.mean())) - np.log(1.0 - sigmoid(fake - real.mean()))
  g_expected = -np.log(sigmoid(fake - real.mean())) - np.log(1.0 - sigmoid(real - fake.mean()))
  d_loss, g_loss = relativistic_average(jnp.asarray(real), jnp.asarray(fake))
  np.testing.assert_allclose(d_loss, d_expected, rtol=1e-5)
  np.testing.assert_allclose(g_loss, g_expected, rtol=1e-5)
  assert losses.get_loss("my_losses:relativistic_average").values is relativistic_average


def test_energy_distance_matches_scipy(examples_importable):
  from my_metrics import energy_distance

  rng = np.random.default_rng(1)
  x, y = rng.normal(size=137), rng.gamma(2.0, size=89)
  np.testing.assert_allclose(energy_distance(x, y), scipy.stats.energy_distance(x, y), rtol=1e-10)
  np.testing.assert_allclose(energy_distance(y, x), energy_distance(x, y), rtol=1e-12)
  assert energy_distance(x, x) == 0.0
  with pytest.raises(DataError, match="expected finite values"):
    energy_distance([0.0, np.nan], y)


def test_the_example_dataset_loads_by_dotted_path_with_a_fixed_split(examples_importable):
  name = "my_data:noisy_circle"
  info = data_lib.dataset_info(name)
  assert (info.kind, info.key, info.shape, info.num_examples) == (
      "points", "point", (2,), {"train": 20_000, "validation": 2_000, "test": 2_000})
  batch = next(iter(data_lib.load(name, "train", 64, seed=3)))
  assert batch["point"].shape == (64, 2) and batch["point"].dtype == np.float32
  assert "label" not in batch
  first = next(iter(data_lib.load(name, "test", 2_000, seed=0, repeat=False)))["point"]
  again = next(iter(data_lib.load(name, "test", 2_000, seed=7, repeat=False)))["point"]
  np.testing.assert_array_equal(first, again)  # the split does not depend on the run's seed
  radius = np.linalg.norm(first, axis=1)
  assert abs(radius.mean() - 1.0) < 0.01 and abs(radius.std() - 0.05) < 0.005
