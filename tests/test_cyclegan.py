"""CycleGAN: the least-squares, cycle and identity losses and the image pool against NumPy, the
step's blindness to the true pairs, the class pairs' data (the two classes, a block each) and
target-class metrics, and the smoke configs through the command line."""

import json
import math
import os

import jax
import jax.numpy as jnp
import numpy as np
import pytest
import scipy.linalg

from conftest import EXPERIMENTS, perturbed_params, train_and_evaluate
from jaxgen import data as data_lib
from jaxgen.core import config as config_lib
from jaxgen.core import evaluation
from jaxgen.errors import ConfigError
from jaxgen.eval import features
from jaxgen.families.cyclegan import experiment as cyclegan_experiment
from jaxgen.families.cyclegan import losses, pool
from jaxgen.nn.translation import ResNetGenerator

SMOKE = os.path.join(EXPERIMENTS, "cyclegan_digits.py:smoke")
CLASSES_SMOKE = os.path.join(EXPERIMENTS, "cyclegan_sneaker_boot.py:smoke")
# Unit tests build the networks with lax's convolutions: a few ops to dispatch.
TINY = ["model.features=4", "model.d_features=4", "model.conv=xla"]


def cyclegan(*overrides):
  config = config_lib.load_config(SMOKE)
  config_lib.apply_overrides(config, TINY + list(overrides))
  return cyclegan_experiment.make_experiment(config)


# -- the losses ---------------------------------------------------------------------------------

def test_least_squares_losses_are_the_official_codes_mean_squared_errors():
  real, fake = np.array([[[1.5, -0.5]], [[0.0, 2.0]]]), np.array([[[0.25, 1.0]], [[-1.0, 3.0]]])
  d_loss = losses.discriminator_loss(jnp.asarray(real), jnp.asarray(fake))
  g_loss = losses.generator_adversarial_loss(jnp.asarray(fake))
  # D: 1/2 [MSE(D(real), 1) + MSE(D(fake), 0)]; G: MSE(D(fake), 1), per example over patches.
  np.testing.assert_allclose(d_loss, [0.5 * (0.25 + 2.25) / 2 + 0.5 * (0.0625 + 1.0) / 2,
                                      0.5 * (1.0 + 1.0) / 2 + 0.5 * (1.0 + 9.0) / 2], rtol=1e-6)
  np.testing.assert_allclose(g_loss, [(0.5625 + 0.0) / 2, (4.0 + 4.0) / 2], rtol=1e-6)
  total, terms = losses.discriminators_loss(*map(jnp.asarray, (real, fake, fake, real)))
  np.testing.assert_allclose(terms["d_a"], d_loss, rtol=1e-6)
  np.testing.assert_allclose(total, d_loss + losses.discriminator_loss(fake, real), rtol=1e-6)


@pytest.mark.parametrize("identity_weight", [0.5, 0.0])
def test_generator_loss_is_lsgan_plus_cycle_and_identity_l1(identity_weight):
  rng = np.random.default_rng(0)
  a, b, cycled_a, cycled_b, identity_a, identity_b = (rng.uniform(-1, 1, (3, 4, 5, 1))
                                                      for _ in range(6))
  fake_a_logits, fake_b_logits = (rng.normal(size=(3, 2, 2)) for _ in range(2))
  arrays = [jnp.asarray(x, jnp.float32) for x in (a, b, cycled_a, cycled_b, fake_a_logits,
                                                  fake_b_logits, identity_a, identity_b)]
  total, terms = losses.generator_loss(*arrays, cycle_weight=10.0,
                                       identity_weight=identity_weight)
  l1 = lambda x, y: np.abs(x - y).mean(axis=(1, 2, 3))
  lsgan = lambda f: ((f - 1.0) ** 2).mean(axis=(1, 2))
  expected = (lsgan(fake_a_logits) + lsgan(fake_b_logits)
              + 10.0 * (l1(cycled_a, a) + l1(cycled_b, b))
              + identity_weight * 10.0 * (l1(identity_a, a) + l1(identity_b, b)))
  np.testing.assert_allclose(total, expected, rtol=1e-5)
  np.testing.assert_allclose(terms["cycle_b"], l1(cycled_b, b), rtol=1e-5)
  assert ("identity_a" in terms) == (identity_weight > 0)


# -- the paper's generator ----------------------------------------------------------------------

def test_resnet_generator_has_the_papers_layers_and_translates_each_image_alone():
  k, blocks = 4, 2
  generator = ResNetGenerator(out_channels=1, features=k, num_blocks=blocks, conv="xla")
  for side in (28, 8, 10):  # 10: padded to 12 inside, cropped back
    x = jax.ShapeDtypeStruct((2, side, side, 1), jnp.float32)
    params = jax.eval_shape(generator.init, jax.random.PRNGKey(0), x)
    assert jax.eval_shape(generator.apply, params, x).shape == (2, side, side, 1)
  conv = lambda size, c_in, c_out: size * size * c_in * c_out + c_out + 2 * c_out  # + norm
  expected = (conv(7, 1, k) + conv(3, k, 2 * k) + conv(3, 2 * k, 4 * k)  # c7s1-k, d2k, d4k
              + blocks * 2 * conv(3, 4 * k, 4 * k)  # R4k
              + conv(4, 4 * k, 2 * k) + conv(4, 2 * k, k)  # u2k, uk
              + 7 * 7 * k + 1)  # c7s1-1, no norm
  assert sum(np.prod(p.shape) for p in jax.tree.leaves(params)) == expected
  # Instance norm: an image's translation does not depend on its batch mates.
  x = np.random.default_rng(0).uniform(-1, 1, (2, 8, 8, 1)).astype(np.float32)
  params = jax.jit(generator.init)(jax.random.PRNGKey(0), x)
  apply = jax.jit(generator.apply)
  other_mate = x.copy()
  other_mate[1] = -x[1]
  np.testing.assert_array_equal(apply(params, x)[0], apply(params, other_mate)[0])


# -- the image pool -----------------------------------------------------------------------------

def numpy_pool(size, batches, coins, slots):
  """The official ImagePool.query, one image at a time, with the given coins: -> the returned
  batches and the stored images."""
  stored, returned = [], []
  for batch, batch_coins, batch_slots in zip(batches, coins, slots):
    out = []
    for image, take, slot in zip(batch, batch_coins, batch_slots):
      if len(stored) < size:
        stored.append(image)
        out.append(image)
      elif take:
        out.append(stored[slot])
        stored[slot] = image
      else:
        out.append(image)
    returned.append(np.stack(out))
  return returned, np.stack(stored)


def test_image_pool_fills_then_returns_a_half_and_half_mix_as_the_official_pool():
  size, rng = 5, np.random.default_rng(0)
  batches = [rng.normal(size=(3, 2, 2, 1)).astype(np.float32) for _ in range(4)]
  draws_fn, query = jax.jit(pool.draws, static_argnums=(1, 2)), jax.jit(pool.query)
  draws = [draws_fn(jax.random.PRNGKey(i), 3, size) for i in range(4)]
  coins, slots = [np.asarray(c) for c, _ in draws], [np.asarray(s) for _, s in draws]
  expected, expected_stored = numpy_pool(size, batches, coins, slots)
  state = pool.empty(size, (2, 2, 1))
  for i, batch in enumerate(batches):
    state, returned = query(state, jnp.asarray(batch), *draws[i])
    np.testing.assert_array_equal(returned, expected[i])
  np.testing.assert_array_equal(state["images"], expected_stored)
  assert int(state["count"]) == size
  np.testing.assert_array_equal(expected[0], batches[0])  # filling: the current images
  # Once full, some queries returned a stored image, and every slot took a later image.
  assert any(not np.array_equal(e, b) for e, b in zip(expected[2:], batches[2:]))
  coins, slots = draws_fn(jax.random.PRNGKey(9), 20_000, size)
  assert abs(float(np.mean(coins)) - 0.5) < 0.015  # 4.5 standard deviations
  np.testing.assert_array_equal(np.unique(slots), np.arange(size))


# -- the step -----------------------------------------------------------------------------------

def test_train_step_never_sees_an_image_beside_its_own_edge_map():
  """The step reads domain A from the first half's edge maps and domain B from the second
  half's images: the other halves (the pairs' partners) can be anything."""
  experiment = cyclegan()
  rng = np.random.default_rng(2)
  source = rng.integers(0, 2, (8, 8, 8, 1)).astype(np.float32)
  image = rng.uniform(-1, 1, (8, 8, 8, 1)).astype(np.float32)
  state = jax.jit(experiment.init)(jax.random.PRNGKey(0), {"source": source, "image": image})
  state = state.replace(params=perturbed_params(state.params, 0.05))
  step = jax.jit(experiment.train_step)
  new_state, metrics = step(state, {"source": source, "image": image}, jax.random.PRNGKey(1))
  partners = {"source": source.copy(), "image": image.copy()}
  partners["image"][:4] = rng.uniform(-1, 1, (4, 8, 8, 1))  # A's images
  partners["source"][4:] = 1 - partners["source"][4:]  # B's edge maps
  other_state, other_metrics = step(state, partners, jax.random.PRNGKey(1))
  for x, y in zip(jax.tree.leaves((new_state, metrics)), jax.tree.leaves((other_state,
                                                                          other_metrics))):
    np.testing.assert_array_equal(x, y)
  # ...while each domain's own half counts.
  changed = {"source": 1 - source, "image": image}
  _, changed_metrics = step(state, changed, jax.random.PRNGKey(1))
  assert changed_metrics["cycle_a"] != metrics["cycle_a"]
  assert set(new_state.model_state) == {"pool_a", "pool_b"}
  assert int(new_state.model_state["pool_b"]["count"]) == 4


@pytest.mark.parametrize("overrides, message", [
    (["train.batch_size=7"], "train.batch_size must be even"),
    (["data.paired_source=''"], "set data.paired_source"),
    (["data.domain_classes=(3, 8)"], "one of them"),
    (["data.paired_source=''", "data.domain_classes=(3,)"], "must be two classes"),
    (["loss.name=non_saturating"], "least-squares"),
    (["loss.pool_size=-1"], "must be >= 0"),
    (["model.generator=resnet9"], "model.generator must be one of unet, resnet"),
])
def test_bad_configs_are_one_line_config_errors(overrides, message):
  with pytest.raises(ConfigError, match=message):
    cyclegan(*overrides)


# -- class pairs --------------------------------------------------------------------------------

def stored_split(name, split, **options):
  """A whole split in stored order, one pass: {"image": [N, ...], "label": [N]}."""
  return evaluation.split_examples(name, split, 10**6, **options)


def test_domain_classes_keep_exactly_the_two_classes_in_stored_order():
  stored = stored_split("digits", "test")
  kept = stored_split("digits", "test", domain_classes=(3, 8))
  rows = np.isin(stored["label"], (3, 8))
  np.testing.assert_array_equal(kept["label"], stored["label"][rows])
  np.testing.assert_array_equal(kept["image"], stored["image"][rows])
  assert set(np.unique(kept["label"])) == {3, 8}


def test_training_batches_are_a_block_of_class_a_then_one_of_class_b():
  """Each global batch's first half is class a's examples, its second half class b's; each class
  runs through all of its training examples once per (its own) epoch; two processes' rows make
  the one-process batch; a resumed stream goes on with the same batches."""
  a, b, batch_size, num = 3, 8, 32, 24
  stream = iter(data_lib.load("digits", "train", batch_size, seed=1, domain_classes=(a, b)))
  batches = [next(stream) for _ in range(num)]
  resumed = iter(data_lib.load("digits", "train", batch_size, seed=1, domain_classes=(a, b)))
  resumed.set_state(json.loads(json.dumps(stream.get_state())))
  assert all(np.array_equal(next(resumed)["image"], next(stream)["image"]) for _ in range(2))
  half = batch_size // 2
  assert all((batch["label"][:half] == a).all() and (batch["label"][half:] == b).all()
             for batch in batches)
  stored = stored_split("digits", "train")
  for label, block in ((a, slice(None, half)), (b, slice(half, None))):
    drawn = np.concatenate([batch["image"][block] for batch in batches])
    members = stored["image"][stored["label"] == label]
    assert len(drawn) > len(members)  # the draws run past the class's first epoch
    # The first epoch: every example of the class once, in some order.
    assert sorted(map(bytes, drawn[:len(members)])) == sorted(map(bytes, members))
  for process in range(2):
    rows = data_lib.load("digits", "train", batch_size, seed=1, domain_classes=(a, b),
                         process_index=process, process_count=2)
    for batch, local in zip(batches[:3], rows):
      np.testing.assert_array_equal(local["image"], batch["image"][process * half:][:half])


@pytest.mark.parametrize("options, message", [
    (dict(batch_size=33), "must be a multiple of the 2 domain_classes"),
    (dict(domain_classes=(3, 3)), "must be distinct labels"),
    (dict(domain_classes=(3, 10)), "must be distinct labels in 0..9"),
    (dict(batch_size=280), "fewer of classes \\[8\\]"),
])
def test_bad_domain_classes_are_one_line_config_errors(options, message):
  options = {"batch_size": 32, "domain_classes": (3, 8), **options}
  with pytest.raises(ConfigError, match=message):
    data_lib.load("digits", "train", options.pop("batch_size"), **options)


def test_target_accuracy_and_fid_of_real_images_as_translations():
  """Known translations: the test boots as G's, scored against the boots themselves (target
  accuracy: the classifier's own on boots; FID 0), and the test sneakers as F's, scored against
  the boots (accuracy: the classifier's own on sneakers; FID: the two classes' Frechet distance
  in its features, with scipy's sqrtm)."""
  # 256 images of each class: more than the 128 features, one batch of the classifier's.
  stored = evaluation.split_examples("fashion_mnist", "test", 1000, domain_classes=(7, 9))
  sneakers, boots = (stored["image"][stored["label"] == label][:256] for label in (7, 9))
  eval_config = config_lib.load_config(CLASSES_SMOKE).eval
  metrics = evaluation.class_translation_metrics(
      {"ab": (boots, boots, 9), "ba": (sneakers, boots, 7)}, "fashion_mnist", eval_config)
  extractor = features.get_extractor("fashion_mnist")
  predicted = np.argmax(extractor.class_probabilities(boots), axis=1)
  assert metrics["target_accuracy_ab"] == pytest.approx(np.mean(predicted == 9), abs=1e-12)
  assert metrics["target_accuracy_ab"] > 0.9  # the classifier knows boots
  predicted = np.argmax(extractor.class_probabilities(sneakers), axis=1)
  assert metrics["target_accuracy_ba"] == pytest.approx(np.mean(predicted == 7), abs=1e-12)
  assert abs(metrics["fid_ab"]) < 1e-6
  fake, real = (extractor.features(x).astype(np.float64) for x in (sneakers, boots))
  covariance_product = scipy.linalg.sqrtm(np.cov(fake, rowvar=False) @ np.cov(real, rowvar=False))
  expected = (np.sum((fake.mean(0) - real.mean(0)) ** 2) + np.trace(np.cov(fake, rowvar=False))
              + np.trace(np.cov(real, rowvar=False)) - 2 * np.trace(covariance_product).real)
  assert metrics["fid_ba"] == pytest.approx(expected, rel=1e-4)
  assert metrics["fid_num_samples_ba"] == metrics["fid_reference_num_samples_ba"] == 256


# -- end to end ---------------------------------------------------------------------------------

def test_smoke_config_trains_and_evaluates_through_the_command_line(tmp_path):
  workdir = str(tmp_path / "cyclegan")
  metrics = train_and_evaluate(SMOKE, workdir)
  assert all(math.isfinite(metrics[name]) for name in ("psnr", "l1", "cycle_a", "cycle_b", "fid"))
  assert "ssim" not in metrics  # 8x8 digits are smaller than SSIM's window
  assert metrics["fid_reference"] == "digits/test" and metrics["eval_examples"] == 256
  rows = [json.loads(line) for line in open(os.path.join(workdir, "metrics.jsonl"))]
  assert any("d_loss" in r and "identity_a" in r for r in rows if r["split"] == "train")
  assert os.path.exists(os.path.join(workdir, "samples", "step_12.png"))


def test_class_pair_smoke_config_trains_and_evaluates_through_the_command_line(tmp_path):
  """The sneaker <-> boot smoke config on digits' 3s and 8s (Fashion-MNIST's 32x32 U-Nets
  compile for a minute), whose 22 test images a class make a biased FID."""
  workdir = str(tmp_path / "three_eight")
  with pytest.warns(UserWarning, match="rank-deficient"):
    metrics = train_and_evaluate(CLASSES_SMOKE, workdir, "data.name=digits",
                                 "data.domain_classes=(3, 8)", "eval.fid_extractor=digits",
                                 "model.d_num_downsamples=0")
  for direction in ("ab", "ba"):
    assert 0 <= metrics[f"target_accuracy_{direction}"] <= 1
    assert all(math.isfinite(metrics[f"{name}_{direction}"]) for name in ("fid", "kid"))
  assert all(math.isfinite(metrics[f"{name}_{domain}"]) for name in ("cycle", "cycle_psnr")
             for domain in "ab")
  # The pass reads the two classes alone: each example is translated one way.
  assert metrics["eval_examples"] == 44  # digits' test 3s and 8s
  assert metrics["fid_num_samples_ab"] + metrics["fid_num_samples_ba"] == 44
  assert metrics["fid_num_samples_ab"] == metrics["fid_reference_num_samples_ba"]
  assert "psnr" not in metrics and "label_accuracy" not in metrics  # no true pairs
  assert os.path.exists(os.path.join(workdir, "samples", "step_12.png"))
