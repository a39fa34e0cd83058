"""Two processes on one machine (jax.distributed over loopback, CPU collectives) train to the
same params as one process with the same global batch: multi-host proven without a cluster."""

import os
import socket
import subprocess
import sys

import jax
import numpy as np

from conftest import REPO, TEST_XLA_FLAGS
from jaxgen.core import checkpoint as checkpoint_lib

OVERRIDES = ["model.hidden=(32,)", "train.batch_size=32", "eval.batch_size=100", "log_every=10",
             "eval_every=20", "checkpoint_every=20", "train.num_steps=40", "optimizer.warmup_steps=0",
             "data.dequantize=True"]  # Dequantization noise must split across processes too.


def free_port() -> int:
  with socket.socket() as s:
    s.bind(("127.0.0.1", 0))
    return s.getsockname()[1]


def train_command(workdir):
  return [sys.executable, "-m", "jaxgen.cli", "train", "--config",
          os.path.join(REPO, "experiments", "autoencoder_digits.py"), "--workdir", str(workdir)
          ] + [f"--config.{o}" for o in OVERRIDES]


def environment(**extra):
  env = dict(os.environ, JAX_PLATFORMS="cpu", XLA_FLAGS=f"--xla_force_host_platform_device_count=1 {TEST_XLA_FLAGS}")
  env.update(extra)
  return env


def test_two_processes_match_one_process(tmp_path):
  single = subprocess.run(train_command(tmp_path / "single"), cwd=REPO, env=environment(),
                          capture_output=True, text=True, timeout=240)
  assert single.returncode == 0, single.stderr

  address = f"127.0.0.1:{free_port()}"
  processes = [
      subprocess.Popen(train_command(tmp_path / "multi"), cwd=REPO, stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, text=True,
                       env=environment(JAXGEN_COORDINATOR_ADDRESS=address, JAXGEN_NUM_PROCESSES="2",
                                       JAXGEN_PROCESS_ID=str(i)))
      for i in range(2)]
  outputs = [p.communicate(timeout=240)[0] for p in processes]
  for process, output in zip(processes, outputs):
    assert process.returncode == 0, output

  single_params = checkpoint_lib.restore_params(tmp_path / "single")
  multi_params = checkpoint_lib.restore_params(tmp_path / "multi")
  for a, b in zip(jax.tree.leaves(single_params), jax.tree.leaves(multi_params)):
    np.testing.assert_allclose(a, b, atol=1e-5, rtol=0)
  # Only process 0 writes logs; both trained (the global mesh had 2 devices).
  assert (tmp_path / "multi" / "metrics.jsonl").read_text().count('"split": "train"') == 4
