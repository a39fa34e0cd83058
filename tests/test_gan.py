"""The GAN family: losses and penalties against independent computations, the two-network step."""

import json
import os

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from conftest import EXPERIMENTS, train_inspectable
from jaxgen import cli
from jaxgen.core import config as config_lib
from jaxgen.core import runner
from jaxgen.errors import ConfigError, UnknownNameError
from jaxgen.families.gan import experiment as gan_experiment
from jaxgen.families.gan import losses
from jaxgen.nn import adversarial
from jaxgen.families.gan.experiment import GanExperiment, micro_batches
from jaxgen.families.gan.model import build_gan, pack_samples

jax.config.update("jax_default_matmul_precision", "highest")

TINY = ["model.g_hidden=(16,16)", "model.d_hidden=(16,16)", "train.batch_size=20",
        "eval.batch_size=100", "eval.num_mode_samples=200", "log_every=5", "eval_every=10",
        "checkpoint_every=10"]


def relativistic_average(real_logits, fake_logits):
  """RaGAN's losses (Jolicoeur-Martineau 2018), defined here to be named by dotted path:

  L_D = softplus(-(r - mean f)) + softplus(f - mean r),
  L_G = softplus(-(f - mean r)) + softplus(r - mean f).
  """
  real_vs_fake = real_logits - jnp.mean(fake_logits)
  fake_vs_real = fake_logits - jnp.mean(real_logits)
  return (jax.nn.softplus(-real_vs_fake) + jax.nn.softplus(fake_vs_real),
          jax.nn.softplus(-fake_vs_real) + jax.nn.softplus(real_vs_fake))


def gan_config(name="gan_ring8", *overrides):
  config = config_lib.load_config(os.path.join(EXPERIMENTS, f"{name}.py"))
  config_lib.apply_overrides(config, TINY + list(overrides))
  return config


def log_sigmoid(x):
  return -np.logaddexp(0.0, -x)


# Independent closed forms in float64: (D loss, G loss) of real logits r and fake logits f.
EXPECTED = {
    "minimax": lambda r, f: (-log_sigmoid(r) - log_sigmoid(-f), log_sigmoid(-f)),
    "non_saturating": lambda r, f: (-log_sigmoid(r) - log_sigmoid(-f), -log_sigmoid(f)),
    "wasserstein": lambda r, f: (f - r, -f),
    "wgan_gp": lambda r, f: (f - r, -f),
    "hinge": lambda r, f: (np.maximum(0, 1 - r) + np.maximum(0, 1 + f), -f),
    "least_squares": lambda r, f: (0.5 * (r - 1) ** 2 + 0.5 * f ** 2, 0.5 * (f - 1) ** 2),
}
REAL = np.array([-0.5, 0.3, 0.9])
FAKE = np.array([0.1, 0.4, 0.8])  # Where every loss is in its active (non-flat) region.


def test_every_registered_loss_is_checked():
  assert sorted(losses.LOSSES.names()) == sorted(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_loss_values_and_gradient_signs(name):
  loss = losses.get_loss(name).values
  d_loss, g_loss = jax.jit(loss)(jnp.asarray(REAL, jnp.float32), jnp.asarray(FAKE, jnp.float32))
  expected_d, expected_g = EXPECTED[name](REAL, FAKE)
  np.testing.assert_allclose(d_loss, expected_d, rtol=1e-5, atol=1e-6)
  np.testing.assert_allclose(g_loss, expected_g, rtol=1e-5, atol=1e-6)
  # D lowers its loss by raising real logits and lowering fake ones; G by raising fake logits.
  d_real, d_fake = jax.grad(lambda r, f: jnp.sum(loss(r, f)[0]), argnums=(0, 1))(
      jnp.asarray(REAL, jnp.float32), jnp.asarray(FAKE, jnp.float32))
  g_fake = jax.grad(lambda f: jnp.sum(loss(jnp.asarray(REAL, jnp.float32), f)[1]))(
      jnp.asarray(FAKE, jnp.float32))
  assert np.all(d_real < 0) and np.all(d_fake > 0) and np.all(g_fake < 0)


def test_registry_records_what_wgan_losses_need():
  assert losses.get_loss("wgan_gp").gradient_penalty and not losses.get_loss("wgan_gp").weight_clip
  assert losses.get_loss("wasserstein").weight_clip
  assert not losses.get_loss("hinge").gradient_penalty


class TanhCritic:
  """D(x) = v . tanh(W vec(x)), per example, in jnp (for autodiff) and in float64 numpy."""

  def __init__(self, dims, seed=0):
    rng = np.random.default_rng(seed)
    self.w = rng.normal(size=(dims, 5))
    self.v = rng.normal(size=5)

  def __call__(self, x, labels):
    del labels
    h = jnp.tanh(x.reshape(x.shape[0], -1) @ jnp.asarray(self.w, x.dtype))
    return h @ jnp.asarray(self.v, x.dtype)

  def numpy_one(self, x):
    return float(np.tanh(x.reshape(-1) @ self.w) @ self.v)

  def finite_difference_gradient(self, x, step=1e-6):
    """Central differences of one example x: [...] in float64."""
    gradient = np.zeros(x.size)
    for j in range(x.size):
      offset = np.zeros(x.size)
      offset[j] = step
      gradient[j] = (self.numpy_one(x.reshape(-1) + offset)
                     - self.numpy_one(x.reshape(-1) - offset)) / (2 * step)
    return gradient


def test_gradient_penalty_matches_finite_differences_per_example():
  shape = (4, 3, 3, 2)  # Packed images: the interpolation weight broadcasts per example.
  real = np.asarray(jax.random.normal(jax.random.PRNGKey(0), shape), np.float64)
  fake = np.asarray(jax.random.normal(jax.random.PRNGKey(1), shape), np.float64)
  critic = TanhCritic(dims=18)
  rng = jax.random.PRNGKey(2)
  penalty = jax.jit(lambda r, f: adversarial.gradient_penalty(critic, r, f, None, rng))(
      jnp.asarray(real, jnp.float32), jnp.asarray(fake, jnp.float32))
  eps = np.asarray(jax.random.uniform(rng, (4, 1, 1, 1)), np.float64)
  interpolates = eps * real + (1 - eps) * fake
  expected = [(np.linalg.norm(critic.finite_difference_gradient(x)) - 1.0) ** 2 for x in interpolates]
  assert penalty.shape == (4,)
  np.testing.assert_allclose(penalty, expected, rtol=1e-4)


def test_r1_is_half_the_squared_gradient_norm_of_a_quadratic_critic():
  a = np.array([[2.0, 1.0], [0.0, 3.0]])
  critic = lambda x, labels: jnp.einsum("bi,ij,bj->b", x, jnp.asarray(a, x.dtype), x)
  x = np.array([[1.0, -2.0], [0.5, 0.25], [0.0, 0.0]])
  penalty = adversarial.gradient_norm_penalty(critic, jnp.asarray(x, jnp.float32), None)
  gradients = x @ (a + a.T)  # grad of x^T A x
  np.testing.assert_allclose(penalty, 0.5 * np.sum(gradients ** 2, axis=1), rtol=1e-6)


def test_per_example_gradients_take_each_examples_label():
  critic = lambda x, labels: jnp.sum(x, axis=1) * labels
  gradients = adversarial.input_gradients(critic, jnp.ones((3, 2)), jnp.array([1.0, 2.0, 3.0]))
  np.testing.assert_allclose(gradients, [[1, 1], [2, 2], [3, 3]])


def test_batch_gradients_follow_a_critic_that_mixes_examples():
  """D(x)_i = x_i . w + mean_j x_j . v: both gradients are w + v. With a batch standard deviation
  in place of the mean, only the batch sum's gradient sees it (an example alone has none)."""
  w, v = jnp.array([1.0, -2.0]), jnp.array([0.5, 3.0])
  critic = lambda x, labels: x @ w + jnp.mean(x @ v)
  x = jnp.asarray(np.random.default_rng(0).standard_normal((4, 2)), jnp.float32)
  np.testing.assert_allclose(adversarial.input_gradients(critic, x, None, per_example=False),
                             np.broadcast_to(w + v, (4, 2)), rtol=1e-6)
  np.testing.assert_allclose(adversarial.input_gradients(critic, x, None), np.broadcast_to(w + v, (4, 2)),
                             rtol=1e-6)
  # As the minibatch standard deviation: sqrt(var + 1e-8), 0 with 0 gradient for one example.
  mixing = lambda x, labels: x @ w + jnp.sqrt(jnp.var(x @ v) + 1e-8)
  batch = adversarial.input_gradients(mixing, x, None, per_example=False)
  s = x @ v
  expected = w + ((s - jnp.mean(s)) / jnp.std(s))[:, None] * v  # 4 outputs x d std / d s_i
  np.testing.assert_allclose(batch, expected, rtol=1e-5)
  np.testing.assert_allclose(adversarial.input_gradients(mixing, x, None), np.broadcast_to(w, (4, 2)),
                             atol=1e-6)


def test_pack_and_micro_batches_group_the_stated_rows():
  points = jnp.arange(12.0).reshape(6, 2)
  np.testing.assert_array_equal(pack_samples(points, 3), [[0, 1, 2, 3, 4, 5], [6, 7, 8, 9, 10, 11]])
  images = jnp.arange(4.0).reshape(4, 1, 1, 1) * jnp.ones((4, 2, 2, 1))
  packed = pack_samples(images, 2)
  assert packed.shape == (2, 2, 2, 2)
  np.testing.assert_array_equal(packed[1, 0, 0], [2.0, 3.0])  # channels of samples 2 and 3
  np.testing.assert_array_equal(micro_batches(jnp.arange(6), 3), [[0, 3], [1, 4], [2, 5]])


@pytest.mark.parametrize("size,channels", [(8, 1), (28, 1), (32, 3), (64, 3)])
def test_dcgan_pair_is_sized_by_the_image(size, channels):
  config = gan_config("dcgan_digits")
  generator, discriminator = build_gan(config.model, (size, size, channels), num_classes=0)
  z = jax.ShapeDtypeStruct((3, config.model.latent_dim), jnp.float32)
  images = jax.ShapeDtypeStruct((3, size, size, channels), jnp.float32)
  g_vars = jax.eval_shape(lambda z: generator.init(jax.random.PRNGKey(0), z, None), z)
  d_vars = jax.eval_shape(lambda x: discriminator.init(jax.random.PRNGKey(0), x, None), images)
  apply = lambda module, variables, x: module.apply(variables, x, None, mutable=["batch_stats"])[0]
  assert jax.eval_shape(lambda v, z: apply(generator, v, z), g_vars, z).shape == \
      (3, size, size, channels)
  assert jax.eval_shape(lambda v, x: apply(discriminator, v, x), d_vars, images).shape == (3,)


def test_projection_discriminator_adds_the_class_embedding_dot_features():
  config = gan_config("gan_ring8", "model.conditional=True", "model.d_activation='relu'")
  _, discriminator = build_gan(config.model, (2,), num_classes=3)
  x = jax.random.normal(jax.random.PRNGKey(0), (4, 2))
  params = jax.jit(discriminator.init)(jax.random.PRNGKey(1), x, jnp.zeros(4, jnp.int32))["params"]
  logits = lambda y: jax.jit(discriminator.apply)({"params": params}, x, jnp.full(4, y))
  embedding = params["class_projection"]["embedding"]
  features = x
  for name in ("Dense_0", "Dense_1"):
    features = jax.nn.relu(features @ params[name]["kernel"] + params[name]["bias"])
  np.testing.assert_allclose(logits(2) - logits(0), features @ (embedding[2] - embedding[0]),
                             rtol=1e-5, atol=1e-5)


def update_counts(opt_state):
  """The update counters in an optimizer state (Adam's and the learning-rate schedule's)."""
  return {int(leaf) for path, leaf in jax.tree_util.tree_leaves_with_path(opt_state)
          if "count" in jax.tree_util.keystr(path)}


def one_step(config, seed=0):
  experiment = GanExperiment(config)
  batch = {"point": jax.random.normal(jax.random.PRNGKey(seed), (config.train.batch_size, 2))}
  state = jax.jit(experiment.init)(jax.random.PRNGKey(1), batch)
  new_state, metrics = jax.jit(experiment.train_step)(state, batch, jax.random.PRNGKey(2))
  return experiment, state, new_state, metrics


def test_n_critic_five_updates_the_critic_five_times_and_the_generator_once():
  _, state, new_state, metrics = one_step(gan_config("gan_ring8", "train.n_critic=5",
                                                     "model.pack=2"))
  assert update_counts(state.opt_state["discriminator"]) == {0}
  assert update_counts(new_state.opt_state["discriminator"]) == {5}
  assert update_counts(new_state.opt_state["generator"]) == {1}
  assert int(new_state.step) == 1
  assert {"loss", "d_loss", "g_loss", "d_real", "d_fake", "d_grad_norm", "g_grad_norm"} <= set(metrics)


def test_ema_tracks_the_generator_only_and_clipping_bounds_the_critic():
  config = gan_config("gan_ring8", "loss.name='wasserstein'", "loss.weight_clip=0.05",
                      "train.ema_decay=0.9", "optimizer.learning_rate=0.01",
                      "d_optimizer.learning_rate=0.5")
  _, state, new_state, _ = one_step(config)
  assert set(new_state.ema_params) == {"generator"}
  expected = jax.tree.map(lambda old, new: 0.9 * old + 0.1 * new, state.params["generator"],
                          new_state.params["generator"])
  for got, want in zip(jax.tree.leaves(new_state.ema_params), jax.tree.leaves(expected)):
    np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-7)
  largest = max(float(jnp.max(jnp.abs(p))) for p in jax.tree.leaves(new_state.params["discriminator"]))
  assert largest == pytest.approx(0.05)


def test_train_step_compiles_exactly_once(tmp_path):
  config = gan_config("gan_ring8", "train.num_steps=25", "train.n_critic=2")
  run, _ = train_inspectable(config, str(tmp_path / "run"))
  assert run.train_step_fn._cache_size() == 1
  assert run.eval_step_fn._cache_size() == 1


def test_evaluate_averages_the_pass_and_labels_samples_as_sample_cycles_the_classes(monkeypatch):
  config = gan_config("cgan_digits", "eval.batch_size=30", "eval.num_image_samples=70")
  experiment = GanExperiment(config)
  calls, seen = [], {}

  def sampler(rng, num):
    calls.append((rng, num))
    return np.full((num, 8, 8, 1), 0.5, np.float32)  # data in [-1, 1]: 0.75 in [0, 1]

  def image_metrics(images, dataset, extractor, labels):
    seen.update(images=images, dataset=dataset, extractor=extractor, labels=labels)
    return {"fid": 1.0}

  monkeypatch.setattr(gan_experiment.evaluation, "image_sample_metrics", image_metrics)
  results = {"d_loss": np.array([1.0, 2.0, 6.0]), "d_real": np.array([0.5, 0.5, 2.0]),
             "label": np.array([3.0, 1.0, 4.0])}
  metrics = experiment.evaluate(None, results, sampler, "key")
  assert metrics == {"test_d_loss": 3.0, "test_d_real": 1.0, "fid": 1.0}
  assert calls == [("key", 70)]
  np.testing.assert_allclose(seen["images"], 0.75)
  assert (seen["dataset"], seen["extractor"].fid_extractor) == ("digits", "digits")
  # Each chunk of 30 samples is conditioned on 0, 1, ..., 9, 0, 1, ...
  expected = [k % 10 for k in range(30)] * 2 + list(range(10))
  np.testing.assert_array_equal(seen["labels"], expected)


@pytest.mark.parametrize("name,shape", [("cgan_digits", (100, 8, 8, 1)), ("gan_ring8", (200, 2))])
def test_sample_grid_is_ten_rows_of_ten_images_or_the_mode_samples(name, shape):
  experiment = GanExperiment(gan_config(name))
  batch = {experiment.key: jax.ShapeDtypeStruct((20, *shape[1:]), jnp.float32)}
  state = jax.eval_shape(experiment.init, jax.random.PRNGKey(0), batch)
  assert jax.eval_shape(experiment.sample_grid, state, jax.random.PRNGKey(1)).shape == shape
  assert experiment.grid_columns == 10


def test_evaluate_counts_modes_on_toy_samples_from_the_sampler():
  experiment = GanExperiment(gan_config("gan_ring8"))
  centres = np.asarray(experiment.info.mode_centres, np.float32)
  sampler = lambda rng, num: np.tile(centres, (num // len(centres), 1))
  metrics = experiment.evaluate(None, {"d_loss": np.ones(4)}, sampler, jax.random.PRNGKey(0))
  assert metrics["num_samples"] == 200  # eval.num_mode_samples
  assert metrics["modes_captured"] == metrics["num_modes"] == 8
  assert metrics["high_quality_frac"] == 1.0
  assert not any(name.startswith("test_") for name in metrics)


def test_unknown_loss_and_inconsistent_configs_are_errors():
  with pytest.raises(UnknownNameError, match=r"unknown GAN loss 'wgan'; valid: hinge, least_squares, "
                                             r"minimax, non_saturating, wasserstein, wgan_gp"):
    runner.Run(gan_config("gan_ring8", "loss.name='wgan'"))
  with pytest.raises(ConfigError, match="must split into train.n_critic=3"):
    runner.Run(gan_config("gan_ring8", "train.n_critic=3"))
  with pytest.raises(ConfigError, match="batch norm mixes examples"):
    runner.Run(gan_config("gan_ring8", "loss.name='wgan_gp'", "model.d_norm='batch'"))
  with pytest.raises(ConfigError, match="needs a labelled dataset"):
    runner.Run(gan_config("gan_ring8", "data.name='moons'", "model.conditional=True"))


def test_a_loss_named_by_dotted_path_trains_from_the_command_line(tmp_path):
  assert losses.get_loss("test_gan:relativistic_average").values is relativistic_average
  workdir = str(tmp_path / "run")
  overrides = [f"--config.{o}" for o in TINY + ["train.num_steps=4", "loss.name=test_gan:relativistic_average"]]
  assert cli.main(["train", "--config", os.path.join(EXPERIMENTS, "gan_ring8.py:smoke"),
                   "--workdir", workdir, *overrides]) == 0
  with open(os.path.join(workdir, "config.json")) as f:
    assert json.load(f)["loss"]["name"] == "test_gan:relativistic_average"
  rows = [json.loads(line) for line in open(os.path.join(workdir, "metrics.jsonl"))]
  assert all(np.isfinite(r["g_loss"]) for r in rows if r["split"] == "train")
