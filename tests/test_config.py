import json

import pytest

from jaxgen.core import config as config_lib
from jaxgen.errors import ConfigError


def make():
  config = config_lib.base_config()
  config.family = "autoencoder"
  config.data.name = "digits"
  config.loss.name = "mse"
  return config


def test_overrides_parse_types_and_nested_fields():
  config = make()
  config_lib.apply_overrides(config, ["train.num_steps=500", "optimizer.learning_rate=3",
                                      "loss.name=bce", "data.exclude_labels=[9]",
                                      "data.dequantize=True"])
  assert config.train.num_steps == 500
  assert config.optimizer.learning_rate == 3.0 and isinstance(config.optimizer.learning_rate, float)
  assert config.loss.name == "bce"
  assert config.data.exclude_labels == (9,)
  assert config.data.dequantize is True


def test_unknown_override_lists_valid_fields():
  with pytest.raises(ConfigError, match=r"unknown config field 'train.num_stepz'.*num_steps"):
    config_lib.apply_overrides(make(), ["train.num_stepz=5"])
  with pytest.raises(ConfigError, match=r"unknown config field 'trian'.*train"):
    config_lib.apply_overrides(make(), ["trian.num_steps=5"])


def test_override_with_wrong_type_says_what_was_expected():
  with pytest.raises(ConfigError, match=r"'train.num_steps' expects int, got 'many'"):
    config_lib.apply_overrides(make(), ["train.num_steps=many"])


@pytest.mark.parametrize("field,value,message", [
    ("train.batch_size", 0, r"train.batch_size' must be the global batch size, an int > 0, got 0"),
    ("train.num_steps", -3, r"train.num_steps' must be an int > 0, got -3"),
    ("data.name", "", r"data.name' must be a dataset name"),
])
def test_validate_rejects_bad_values(field, value, message):
  config = make()
  group, name = field.split(".")
  config[group][name] = value
  with pytest.raises(ConfigError, match=message):
    config_lib.validate(config)


def test_validate_reports_a_missing_field():
  config = make()
  del config.train["batch_size"]
  with pytest.raises(ConfigError, match=r"missing field 'train.batch_size'"):
    config_lib.validate(config)


def test_json_round_trip_keeps_tuples():
  config = make()
  config.data.exclude_labels = (9,)
  restored = config_lib.from_json(config_lib.to_json(config))
  assert restored.data.exclude_labels == (9,)
  assert json.loads(config_lib.to_json(restored)) == json.loads(config_lib.to_json(config))


def test_load_config_with_argument_and_variant_import(experiment_path):
  base = config_lib.load_config(experiment_path("autoencoder_digits"))
  smoke = config_lib.load_config(experiment_path("denoising_autoencoder_digits") + ":smoke")
  assert smoke.train.num_steps < base.train.num_steps
  assert smoke.loss.noise == "gaussian" and base.loss.noise == ""


def test_missing_config_file_is_a_clear_error():
  with pytest.raises(ConfigError, match="does not exist"):
    config_lib.load_config("experiments/no_such_experiment.py")
