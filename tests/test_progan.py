"""ProGAN: the growth schedule in closed form, the fade-in of G's outputs, D's inputs and the real
images, pixel norm against NumPy, exact resume across a growth step, the smoke config through the
command line, one-line errors for bad schedules."""

import json
import math
import os

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from conftest import EXPERIMENTS, perturbed_params, train_and_evaluate
from jaxgen.core import config as config_lib
from jaxgen.core import runner
from jaxgen.errors import ConfigError
from jaxgen.families.progan import experiment as progan_experiment
from jaxgen.families.progan.model import Discriminator, Generator
from jaxgen.nn.equalized import downsample_2x, pixel_norm, upsample_2x

SMOKE = os.path.join(EXPERIMENTS, "progan_digits.py:smoke")
# Unit tests' networks: a few channels (8 at 4x4, 4 above).
TINY = ["model.z_dim=6", "model.channel_base=32", "model.channel_max=8", "model.conv='xla'"]


def load(*overrides, spec=SMOKE):
  config = config_lib.load_config(spec)
  config_lib.apply_overrides(config, TINY + list(overrides))
  return config


# -- the schedule -------------------------------------------------------------------------------

def walked_schedule(num_stages, fade, stable, num_steps):
  """[(stage, alpha)] of steps 0..num_steps - 1, by walking the phases one step at a time."""
  walk = [(0, 1.0)] * stable
  for stage in range(1, num_stages):
    walk += [(stage, i / fade) for i in range(fade)] + [(stage, 1.0)] * stable
  return (walk + [(num_stages - 1, 1.0)] * num_steps)[:num_steps]


@pytest.mark.parametrize("num_stages,fade,stable", [(4, 3, 2), (2, 4, 4), (3, 0, 5), (3, 7, 1)])
def test_stage_and_alpha_is_the_walked_schedule_in_closed_form(num_stages, fade, stable):
  schedule = progan_experiment.Schedule(num_stages, fade, stable)
  steps = np.arange(60)
  stage, alpha = schedule.stage_and_alpha(steps)
  expected = walked_schedule(num_stages, fade, stable, 60)
  np.testing.assert_array_equal(stage, [s for s, _ in expected])
  np.testing.assert_allclose(alpha, [a for _, a in expected], rtol=1e-6)
  assert expected[schedule.faded_in - 1] != (num_stages - 1, 1.0)
  assert expected[schedule.faded_in] == (num_stages - 1, 1.0)
  # The optimizers restart where a fade begins and where the stable phase after one begins.
  starts = [t for t in range(1, 60) if expected[t][0] != expected[t - 1][0] or
            (expected[t][1] == 1.0 and expected[t - 1][1] < 1.0)]
  assert list(steps[np.asarray(schedule.phase_starts(steps))]) == starts
  fixed = progan_experiment.Schedule(num_stages, fade, stable, grow=False)
  stage, alpha = fixed.stage_and_alpha(steps)
  assert set(np.asarray(stage)) == {num_stages - 1} and set(np.asarray(alpha)) == {1.0}
  assert not np.any(fixed.phase_starts(steps)) and fixed.faded_in == 0


# -- layers and the fade-in ---------------------------------------------------------------------

def test_pixel_norm_equals_numpy_over_the_channels():
  x = np.random.default_rng(0).standard_normal((2, 3, 3, 5)).astype(np.float32)
  expected = x / np.sqrt(np.mean(x.astype(np.float64) ** 2, axis=-1, keepdims=True) + 1e-8)
  np.testing.assert_allclose(pixel_norm(jnp.asarray(x)), expected, rtol=1e-5)


def test_generator_fades_from_the_upsampled_previous_stage_to_the_new_torgb():
  generator = Generator(resolution=16, channels=1, channel_base=64, channel_max=8, conv="xla")
  z = np.random.default_rng(0).standard_normal((3, 6)).astype(np.float32)
  params = perturbed_params(
      generator.init(jax.random.PRNGKey(0), z, method=Generator.pyramid)["params"], 0.3)
  run = lambda stage, alpha: generator.apply({"params": params}, z, stage, alpha)
  pyramid = generator.apply({"params": params}, z, method=Generator.pyramid)
  assert [image.shape for image in pyramid] == [(3, 4, 4, 1), (3, 8, 8, 1), (3, 16, 16, 1)]
  np.testing.assert_allclose(run(0, 0.3), pyramid[0], rtol=1e-6)  # stage 0: nothing to fade
  for stage in (1, 2):
    previous = upsample_2x(pyramid[stage - 1], "nearest")
    np.testing.assert_allclose(run(stage, 0.0), previous, atol=1e-6)
    np.testing.assert_allclose(run(stage, 1.0), pyramid[stage], atol=1e-6)
    np.testing.assert_allclose(run(stage, 0.25), 0.75 * previous + 0.25 * pyramid[stage],
                               atol=1e-5)
    assert np.max(np.abs(previous - pyramid[stage])) > 1e-2  # the two ends differ


def test_discriminator_fades_from_the_downsampled_previous_stage_to_the_new_fromrgb():
  discriminator = Discriminator(resolution=16, channel_base=64, channel_max=8, conv="xla")
  canvas = np.random.default_rng(0).standard_normal((4, 16, 16, 1)).astype(np.float32)
  params = perturbed_params(discriminator.init(jax.random.PRNGKey(0), canvas,
                                               method=Discriminator.pyramid)["params"], 0.3)
  run = lambda params, x, stage, alpha: discriminator.apply({"params": params}, x, stage, alpha)
  for stage, x in ((1, downsample_2x(canvas)), (2, canvas)):
    at_zero = run(params, x, stage, 0.0)
    np.testing.assert_allclose(at_zero, run(params, downsample_2x(x), stage - 1, 1.0),
                               atol=1e-5)
    # At alpha 1 the previous stage's fromRGB is out of the path; at alpha 0, in it.
    moved = {**params, f"from_rgb_{stage - 1}": perturbed_params(
        params[f"from_rgb_{stage - 1}"], 1.0, seed=1)}
    np.testing.assert_allclose(run(moved, x, stage, 1.0), run(params, x, stage, 1.0), atol=1e-6)
    assert np.max(np.abs(run(moved, x, stage, 0.0) - at_zero)) > 1e-3


def test_real_images_fade_as_the_generators_output():
  e = progan_experiment.make_experiment(load(spec=os.path.join(
      EXPERIMENTS, "progan_fashion_mnist.py:smoke")))
  canvas = np.random.default_rng(0).uniform(-1, 1, (2, 32, 32, 1)).astype(np.float32)
  at_16 = downsample_2x(canvas)
  np.testing.assert_allclose(e.reals(canvas, 2, 1.0), at_16, rtol=1e-6)
  np.testing.assert_allclose(e.reals(canvas, 2, 0.0), upsample_2x(downsample_2x(at_16), "nearest"),
                             rtol=1e-6)
  np.testing.assert_allclose(e.reals(canvas, 0, 0.5), downsample_2x(downsample_2x(at_16)),
                             rtol=1e-6)


# -- configs --------------------------------------------------------------------------------------

@pytest.mark.parametrize("overrides,message", [
    (["model.fade_steps=-1"], "fade_steps >= 0"),
    (["model.stable_steps=0"], "stable_steps >= 1"),
    (["loss.name='hinge'"], "WGAN-GP"),
    (["train.batch_size=30"], "multiples of model.mbstd_group_size"),
    (["model.conv='cudnn'"], "model.conv"),
])
def test_bad_configs_are_one_line_errors(overrides, message):
  with pytest.raises(ConfigError, match=message) as error:
    progan_experiment.make_experiment(load(*overrides))
  assert "\n" not in str(error.value)


def test_growing_configs_fade_in_the_last_stage_and_the_fixed_one_has_their_budget():
  configs = {name: config_lib.load_config(os.path.join(EXPERIMENTS, f"{name}.py"))
             for name in ("progan_digits", "progan_fashion_mnist", "progan_fixed_fashion_mnist")}
  for name, config in configs.items():
    schedule = progan_experiment.make_experiment(config).schedule
    assert schedule.grow == ("fixed" not in name)
    assert schedule.faded_in < config.train.num_steps, name
  growing, fixed = configs["progan_fashion_mnist"], configs["progan_fixed_fashion_mnist"]
  assert fixed.train.to_dict() == growing.train.to_dict()
  assert fixed.optimizer.to_dict() == growing.optimizer.to_dict()


# -- end to end -----------------------------------------------------------------------------------

def test_resume_across_a_growth_step_is_bit_exact(tmp_path):
  """8 straight steps == 4 steps (the 4x4 stage), stop, resume to 8: step 4 grows the networks
  (and restarts Adam) in the resumed run as in the straight one."""
  options = ["eval_every=100", "checkpoint_every=100", "eval.fid_extractor=''"]
  straight = runner.train(load("train.num_steps=8", *options), str(tmp_path / "straight"))
  resumed_dir = str(tmp_path / "resumed")
  runner.train(load("train.num_steps=4", *options), resumed_dir)
  resumed = runner.train(load("train.num_steps=8", *options), resumed_dir)
  assert int(resumed.step) == 8
  assert jax.tree.structure(resumed) == jax.tree.structure(straight)
  for a, b in zip(jax.tree.leaves(straight), jax.tree.leaves(resumed)):
    np.testing.assert_array_equal(a, b)


def test_smoke_config_grows_and_evaluates_through_the_command_line(tmp_path):
  workdir = str(tmp_path / "progan")
  metrics = train_and_evaluate(SMOKE, workdir, *TINY, "log_every=1")
  rows = [json.loads(line) for line in open(os.path.join(workdir, "metrics.jsonl"))]
  train = {row["step"]: row for row in rows if row["split"] == "train"}
  # Row N logs the update of step N - 1: 4x4 for steps 0-3, then 8x8 fading in over 4-7.
  assert [train[n]["stage"] for n in range(1, 13)] == [0] * 4 + [1] * 8
  assert [train[n]["alpha"] for n in range(1, 13)] == [1] * 4 + [0, 0.25, 0.5, 0.75] + [1] * 4
  for name in ("fid", "precision", "recall", "test_wasserstein", "test_d_real"):
    assert math.isfinite(metrics[name]), name
  assert os.path.exists(os.path.join(workdir, "samples", "step_12.png"))
