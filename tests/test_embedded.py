"""The offline datasets against independent computations (scikit-learn, SciPy, closed forms)."""

import math

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from scipy import special, stats
from sklearn.datasets import load_digits

from jaxgen import data


def one_pass(name, split, **options):
  """Every example of a split, in stored order, as one batch (mask checked and dropped)."""
  num = data.dataset_info(name).num_examples[split]
  batch = next(iter(data.load(name, split, num, repeat=False, **options)))
  np.testing.assert_array_equal(batch.pop("mask"), np.ones(num))
  return batch


def sklearn_digits_split():
  digits = load_digits()
  order = np.random.default_rng(0).permutation(1797)
  splits = {"train": slice(0, 1347), "validation": slice(1347, 1497), "test": slice(1497, 1797)}
  return {name: (digits.images[order[part]], digits.target[order[part]])
          for name, part in splits.items()}


def test_digits_is_the_fixed_sklearn_split():
  expected = sklearn_digits_split()
  info = data.dataset_info("digits")
  assert (info.kind, info.key, info.shape) == ("image", "image", (8, 8, 1))
  assert (info.num_levels, info.num_classes) == (17, 10)
  assert info.num_examples == {"train": 1347, "validation": 150, "test": 300}
  for split, (images, labels) in expected.items():
    batch = one_pass("digits", split)
    np.testing.assert_array_equal(batch["image"][..., 0] * 16, images)
    np.testing.assert_array_equal(batch["label"], labels)
    np.testing.assert_array_equal(one_pass("digits", split, seed=7)["image"], batch["image"])
  # The three splits partition the 1,797 images: together they are the dataset, as a multiset.
  every = np.concatenate([one_pass("digits", s)["image"].reshape(-1, 64) * 16 for s in expected])
  reference = load_digits().data
  np.testing.assert_array_equal(np.unique(every, axis=0, return_counts=True)[1],
                                np.unique(reference, axis=0, return_counts=True)[1])


def test_binarized_digits_thresholds_at_half():
  info = data.dataset_info("binarized_digits")
  assert (info.num_levels, info.num_classes, info.shape) == (2, 10, (8, 8, 1))
  for split, (images, labels) in sklearn_digits_split().items():
    batch = one_pass("binarized_digits", split)
    assert set(np.unique(batch["image"])) == {0.0, 1.0}
    np.testing.assert_array_equal(batch["image"][..., 0], images >= 8)
    np.testing.assert_array_equal(batch["label"], labels)


def scipy_mixture_log_prob(x, centres, std):
  components = [stats.multivariate_normal(mean=c, cov=std**2 * np.eye(2)).logpdf(x)
                for c in centres]
  return special.logsumexp(components, axis=0) - math.log(len(centres))


@pytest.mark.parametrize("name, num_modes, std, radius", [("ring8", 8, 0.02, 2.0),
                                                          ("grid25", 25, 0.05, None)])
def test_mixture_info_and_log_prob(name, num_modes, std, radius):
  info = data.dataset_info(name)
  centres = info.mode_centres
  assert (info.kind, info.key, info.shape, info.num_levels) == ("points", "point", (2,), None)
  assert info.num_classes == num_modes and centres.shape == (num_modes, 2)
  assert info.mode_std == std
  if radius:  # Equally spaced on the circle.
    np.testing.assert_allclose(np.linalg.norm(centres, axis=1), radius)
    angles = np.sort(np.mod(np.arctan2(centres[:, 1], centres[:, 0]), 2 * np.pi))
    np.testing.assert_allclose(np.diff(angles), 2 * np.pi / 8)
  else:
    assert sorted(map(tuple, centres)) == [(x, y) for x in (-4, -2, 0, 2, 4)
                                          for y in (-4, -2, 0, 2, 4)]
  rng = np.random.default_rng(0)
  x = np.concatenate([centres[rng.integers(num_modes, size=200)] + std * rng.normal(size=(200, 2)),
                      rng.uniform(-5, 5, size=(200, 2))])
  np.testing.assert_allclose(info.log_prob(x), scipy_mixture_log_prob(x, centres, std),
                             rtol=1e-9, atol=1e-9)
  # As users call it: on jax arrays, under jit (float32).
  np.testing.assert_allclose(jax.jit(info.log_prob)(jnp.asarray(x[:200], jnp.float32)),
                             info.log_prob(x[:200]), rtol=1e-5, atol=1e-4)
  # Integrates to 1: a midpoint rule with step std / 2 is exact to ~exp(-2 pi^2 * 4) here.
  step = std / 2
  axis = np.arange(-5, 5, step) + step / 2
  grid = np.stack(np.meshgrid(axis, axis), -1).reshape(-1, 2)
  assert np.exp(info.log_prob(grid)).sum() * step**2 == pytest.approx(1, abs=1e-6)
  # Entropy of well-separated equal-weight modes: log K + entropy of one 2-D Gaussian.
  separated = math.log(num_modes) + math.log(2 * math.pi * math.e * std**2)
  assert info.entropy == pytest.approx(separated, abs=5e-3)


@pytest.mark.parametrize("name, num_modes, std", [("ring8", 8, 0.02), ("grid25", 25, 0.05)])
def test_mixture_samples_match_their_modes(name, num_modes, std):
  info = data.dataset_info(name)
  train, test = one_pass(name, "train"), one_pass(name, "test")
  assert train["point"].shape == (100_000, 2) and test["point"].shape == (10_000, 2)
  assert train["point"].dtype == np.float32 and train["label"].dtype == np.int32
  assert not np.array_equal(train["point"][:10_000], test["point"])
  points, labels = train["point"].astype(np.float64), train["label"]
  nearest = np.argmin(((points[:, None] - info.mode_centres) ** 2).sum(-1), axis=1)
  np.testing.assert_array_equal(nearest, labels)
  counts = np.bincount(labels, minlength=num_modes)
  expected = 100_000 / num_modes
  assert np.all(np.abs(counts - expected) < 5 * math.sqrt(expected))
  for k in range(num_modes):
    around = points[labels == k] - info.mode_centres[k]
    np.testing.assert_allclose(around.mean(0), 0, atol=5 * std / math.sqrt(len(around)))
    np.testing.assert_allclose(around.std(0), std, rtol=0.05)


def test_checkerboard():
  info = data.dataset_info("checkerboard")
  assert info.num_classes is None and info.mode_centres is None
  assert info.entropy == pytest.approx(math.log(32))
  points = one_pass("checkerboard", "train")["point"]
  assert points.shape == (100_000, 2) and "label" not in one_pass("checkerboard", "test")
  # Black squares: (floor(x/2) + floor(y/2)) even, i.e. the square at [0, 2)^2 and its
  # diagonal neighbours.
  squares = np.floor(points / 2).astype(int) + 2  # Square indices 0..3 on each axis.
  assert np.all((squares >= 0) & (squares <= 3)) and np.all(squares.sum(1) % 2 == 0)
  counts = np.bincount(squares[:, 0] * 4 + squares[:, 1], minlength=16)
  black = counts[[i * 4 + j for i in range(4) for j in range(4) if (i + j) % 2 == 0]]
  assert np.all(np.abs(black - 12_500) < 5 * math.sqrt(12_500))
  np.testing.assert_array_equal(info.log_prob(points), np.full(100_000, -math.log(32)))
  probe = np.array([[1, 1], [-1, 1], [3, -1], [-3, -3], [-3, -1], [4.5, 0.5], [0.5, -4.5]])
  inside = np.array([True, False, True, True, False, False, False])
  np.testing.assert_array_equal(info.log_prob(probe), np.where(inside, -math.log(32), -np.inf))
  np.testing.assert_allclose(jax.jit(info.log_prob)(jnp.asarray(probe, jnp.float32)),
                             info.log_prob(probe))
  step = 0.1
  axis = np.arange(-5, 5, step) + step / 2
  grid = np.stack(np.meshgrid(axis, axis), -1).reshape(-1, 2)
  assert np.exp(info.log_prob(grid)).sum() * step**2 == pytest.approx(1)


def test_moons_lie_on_the_two_half_circles():
  info = data.dataset_info("moons")
  assert info.log_prob is None and info.entropy is None and info.num_classes is None
  points = one_pass("moons", "test")["point"].astype(np.float64)
  assert points.shape == (10_000, 2)
  t = np.linspace(0, np.pi, 4000)
  arcs = np.concatenate([np.stack([np.cos(t), np.sin(t)], 1),
                         np.stack([1 - np.cos(t), 0.5 - np.sin(t)], 1)])
  distance = np.sqrt(((points[:2000, None] - arcs) ** 2).sum(-1).min(1))
  # Isotropic noise of std 0.05: the distance to the arc is mostly its normal component.
  assert np.sqrt(np.mean(distance**2)) == pytest.approx(0.05, rel=0.1)


def ffjord_two_spirals(rng, num):
  """FFJORD's ``toy_data.inf_train_gen("2spirals")``, verbatim but for the generator."""
  n = np.sqrt(rng.random((num // 2, 1))) * 540 * (2 * np.pi) / 360
  d1x = -np.cos(n) * n + rng.random((num // 2, 1)) * 0.5
  d1y = np.sin(n) * n + rng.random((num // 2, 1)) * 0.5
  x = np.vstack((np.hstack((d1x, d1y)), np.hstack((-d1x, -d1y)))) / 3
  return x + rng.normal(size=x.shape) * 0.1


def test_spirals_follow_ffjord():
  info = data.dataset_info("spirals")
  assert info.log_prob is None and info.entropy is None and info.num_classes is None
  points = one_pass("spirals", "train")["point"].astype(np.float64)
  assert points.shape == (100_000, 2) and np.isfinite(points).all()
  reference = ffjord_two_spirals(np.random.default_rng(1), 100_000)
  for statistic in (lambda p: np.linalg.norm(p, axis=1), lambda p: p[:, 0], lambda p: p[:, 1],
                    lambda p: np.arctan2(p[:, 1], p[:, 0])):
    assert stats.ks_2samp(statistic(points), statistic(reference)).pvalue > 1e-3
