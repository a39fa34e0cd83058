"""The classifier family (the augmentation study's CNN): its loss, and what it refuses."""

import os

import jax
import numpy as np
import pytest

from conftest import REPO
from jaxgen.core import config as config_lib
from jaxgen.core import runner
from jaxgen.errors import ConfigError

CONFIG = os.path.join(REPO, "experiments", "augment_digits.py")


def test_classifier_loss_is_the_cross_entropy_and_unlabelled_data_is_refused(tmp_path):
  config = config_lib.load_config(CONFIG + ":smoke")
  run = runner.Run(config)
  state = run.initial_state(jax.random.PRNGKey(0))
  batch = next(iter(run.eval_batches()))
  loss, aux = run.experiment.loss(state.params, {}, batch, jax.random.PRNGKey(1), 0)
  logits = np.asarray(run.experiment.logits(state.params, batch["image"]), np.float64)
  log_softmax = logits - np.log(np.exp(logits).sum(1, keepdims=True))
  labels = np.asarray(batch["label"])
  np.testing.assert_allclose(loss, -log_softmax[np.arange(len(labels)), labels], rtol=1e-5)
  np.testing.assert_array_equal(aux["accuracy"], logits.argmax(1) == labels)
  config.data.unlabelled = "keep"
  with pytest.raises(ConfigError, match="cannot train on unlabelled examples"):
    runner.Run(config)
