"""Synthetic datasets drawn from a known generative model: ``ppca``.

``ppca`` is a probabilistic PCA model (Tipping & Bishop 1999) in d = 20 dimensions with q = 4
latent dimensions, ``x = W z + mu + sigma eps`` with z ~ N(0, I_q), eps ~ N(0, I_d), so
``x ~ N(mu, W W^T + sigma^2 I)``. W, mu and sigma^2 are fixed (``PPCA_MODEL``, drawn once from
``np.random.default_rng(PPCA_SEED)``); the 10,000 training, 5,000 validation and 5,000 test
points come from ``np.random.default_rng([PPCA_SEED, stream])`` (stream 0 train, 1 test, 2
validation): the same on every machine and independent of ``load``'s seed. A linear VAE reaches this model's maximum likelihood
(Lucas et al. 2019), which scikit-learn's ``PCA(n_components=q).score`` computes in closed form.
"""

import dataclasses
import functools
import math

import jax
import jax.numpy as jnp
import numpy as np

from jaxgen.data.sources import DATASETS, ArrayRecords, DatasetInfo, Source

PPCA_SEED = 20
PPCA_DIMS = 20
PPCA_LATENT_DIMS = 4
PPCA_NOISE_VARIANCE = 0.25
PPCA_NUM_EXAMPLES = {"train": 10_000, "validation": 5_000, "test": 5_000}
_SPLIT_STREAMS = {"train": 0, "test": 1, "validation": 2}


@dataclasses.dataclass(frozen=True)
class PPCAModel:
  """x = W z + mean + sqrt(noise_variance) eps; W: [d, q], mean: [d]."""
  weights: np.ndarray
  mean: np.ndarray
  noise_variance: float

  @property
  def covariance(self) -> np.ndarray:
    """``W W^T + sigma^2 I``: [d, d], float64."""
    return self.weights @ self.weights.T + self.noise_variance * np.eye(len(self.mean))

  def sample(self, rng: np.random.Generator, num: int) -> np.ndarray:
    """-> points float32 [num, d]."""
    z = rng.standard_normal((num, self.weights.shape[1]))
    noise = rng.standard_normal((num, len(self.mean)))
    return (z @ self.weights.T + self.mean + math.sqrt(self.noise_variance) * noise).astype(np.float32)

  def log_prob(self, x) -> np.ndarray:
    """x: [N, d] -> [N] nats, the exact log N(x; mean, W W^T + sigma^2 I) (jnp for jax arrays)."""
    xp = jnp if isinstance(x, jax.Array) else np
    dims = len(self.mean)
    cholesky = np.linalg.cholesky(self.covariance)
    log_det = 2.0 * np.sum(np.log(np.diag(cholesky)))
    precision = np.linalg.inv(self.covariance)
    centred = x - xp.asarray(self.mean, x.dtype)
    mahalanobis = xp.sum((centred @ xp.asarray(precision, x.dtype)) * centred, axis=-1)
    return -0.5 * (dims * math.log(2 * math.pi) + log_det + mahalanobis)

  def entropy(self) -> float:
    """``0.5 log det(2 pi e C)`` nats."""
    _, log_det = np.linalg.slogdet(2 * math.pi * math.e * self.covariance)
    return 0.5 * float(log_det)


def _ppca_model() -> PPCAModel:
  """Column scales 3, 2.5, 2, 1.5 give the 4 latent directions distinct variances well above
  the noise, so the principal subspace is identifiable from 10,000 points."""
  rng = np.random.default_rng(PPCA_SEED)
  directions = rng.standard_normal((PPCA_DIMS, PPCA_LATENT_DIMS)) / math.sqrt(PPCA_DIMS)
  weights = directions * np.linspace(3.0, 1.5, PPCA_LATENT_DIMS)
  model = PPCAModel(weights, rng.standard_normal(PPCA_DIMS), PPCA_NOISE_VARIANCE)
  model.weights.flags.writeable = model.mean.flags.writeable = False
  return model


PPCA_MODEL = _ppca_model()
PPCA = DatasetInfo(name="ppca", kind="points", key="point", shape=(PPCA_DIMS,), num_levels=None,
                   num_classes=None, num_examples=dict(PPCA_NUM_EXAMPLES),
                   log_prob=PPCA_MODEL.log_prob, entropy=PPCA_MODEL.entropy())


@functools.cache
def _ppca_split(split: str) -> ArrayRecords:
  """-> points float32 [N, d] (read-only, cached), no labels."""
  points = PPCA_MODEL.sample(np.random.default_rng([PPCA_SEED, _SPLIT_STREAMS[split]]),
                             PPCA_NUM_EXAMPLES[split])
  points.flags.writeable = False
  return ArrayRecords(points, None)


DATASETS.register("ppca")(Source(describe=lambda: PPCA,
                                 read=lambda split, data_dir: _ppca_split(split)))
