"""The semi-supervised VAE M1+M2 (Kingma, Rezende, Mohamed & Welling 2014) on the shared runner.

Training batches hold every training image, labelled (``label`` >= 0) or not (-1: the data's
``labels_per_class`` with ``unlabelled = "keep"``). One run trains the paper's two stages in
one compiled step, the stage read off the step counter: for the first ``model.m1_steps`` steps
M1's negative ELBO alone, then M2 on z1 ~ q(z1|x), one fresh draw of the frozen M1's posterior per
example and step, as the paper's code does. Each stage has its own Adam state and learning-rate
schedule (``staged_optimizer``), so the frozen network gets neither gradient nor update.

The classifier q(y|x) is M2's q(y|z1) at z1 = M1's posterior mean; ``sample`` generates a class
by z2 ~ N(0, I), z1 ~ p(z1|y, z2), x = the mean of p(x|z1).
"""

from typing import Dict

import flax
import jax
import jax.numpy as jnp
import ml_collections
import numpy as np

from jaxgen.core.experiment import Experiment, Sampler, TrainState, init_train_state
from jaxgen.core.optim import staged_optimizer
from jaxgen.errors import ConfigError
from jaxgen.families.ssvae import losses
from jaxgen.families.ssvae.model import M1, M2
from jaxgen.nn import gaussian
from jaxgen.nn.discretized_logistic import DiscretizedLogistic

GRID_COLUMNS = 10  # samples per class in the grid
OBJECTIVE = "m1_m2"  # the family's one objective (``loss.name``)


@flax.struct.dataclass
class M1Terms:
  """M1 on a batch at one reparameterized z1 ~ q(z1|x), per example."""
  negative_elbo: jax.Array  # [B]
  log_likelihood: jax.Array  # [B] log p(x|z1)
  log_posterior: jax.Array  # [B] log q(z1|x)
  z1: jax.Array  # [B, K1]
  posterior_mean: jax.Array  # [B, K1]


class SSVAEExperiment(Experiment):
  """Implements the Experiment protocol (jaxgen.core.experiment) for M1+M2."""
  grid_columns = GRID_COLUMNS
  uses_unlabelled = True  # the objective's -U(x) is for the unlabelled rows (label -1)

  def __init__(self, config: ml_collections.ConfigDict):
    super().__init__(config)
    self._check(config)
    m = config.model
    self.num_classes = self.info.num_classes
    self.m1_steps = m.m1_steps
    self.m1 = M1(tuple(m.m1_hidden), m.z1_dim, tuple(self.info.shape), m.min_log_scale)
    self.m2 = M2(tuple(m.m2_hidden), m.z2_dim, m.z1_dim, self.num_classes)
    num_levels = 2 if config.data.binarize else self.info.num_levels
    self.observation = DiscretizedLogistic(num_levels, self.info.value_range(config.data.scale))
    # The paper's J^alpha (eq. 9) sums the bounds over the N training examples and adds
    # alpha = loss.alpha * N times the mean cross-entropy of the N_l labelled ones. Divided by N
    # it is the mean over examples of the bound plus loss.alpha * N / N_l times each labelled
    # example's cross-entropy: the batch mean of per-example losses estimates it without bias,
    # however rare labelled rows are in a batch (the paper's code: beta = alpha * n_tot / n_l).
    self.labelled_fraction = self._labelled_fraction(config)
    self.classification_weight = config.loss.alpha / self.labelled_fraction
    self.optimizer = staged_optimizer(config.optimizer, m.m1_steps, config.train.num_steps,
                                      ("m1", "m2"))

  def _check(self, config: ml_collections.ConfigDict) -> None:
    """Config combinations that would train a wrong model silently."""
    if self.info.kind != "image" or not self.info.num_classes:
      raise ConfigError(f"ssvae needs labelled images; {self.info.name!r} is {self.info.kind}"
                        f"{'' if self.info.num_classes else ' without labels'}")
    if config.loss.name != OBJECTIVE:
      raise ConfigError(f"ssvae trains one objective, loss.name={OBJECTIVE!r}; "
                        f"got {config.loss.name!r}")
    if config.data.dequantize:
      raise ConfigError("ssvae's p(x|z1) is a distribution over the grey levels; "
                        "set data.dequantize=False")
    if config.data.exclude_labels or config.data.synthetic:
      raise ConfigError("ssvae weighs labelled examples by their share of the training split; "
                        "data.exclude_labels and data.synthetic would change it unseen")
    if not 0 <= config.model.m1_steps < config.train.num_steps:
      raise ConfigError(f"model.m1_steps must be in [0, train.num_steps) so that M2 trains; got "
                        f"{config.model.m1_steps} of {config.train.num_steps}")
    if config.loss.alpha < 0:
      raise ConfigError(f"loss.alpha must be >= 0, got {config.loss.alpha}")

  def _labelled_fraction(self, config: ml_collections.ConfigDict) -> float:
    """N_l / N of the training stream: 1 when every example it holds has its label."""
    d = config.data
    if not d.labels_per_class or d.unlabelled == "drop":
      return 1.0
    return d.labels_per_class * self.num_classes / self.info.num_examples["train"]

  # -- the model as functions of params --------------------------------------------------------

  def draw_noise(self, rng: jax.Array, batch_size: int) -> Dict[str, jax.Array]:
    """N(0, I) draws of one step: ``z1`` [B, K1] for M1's posterior, ``z2`` [Y, B, K2] for
    M2's posterior under each class."""
    m = self.config.model
    z1_key, z2_key = jax.random.split(rng)
    return {"z1": jax.random.normal(z1_key, (batch_size, m.z1_dim)),
            "z2": jax.random.normal(z2_key, (self.num_classes, batch_size, m.z2_dim))}

  def m1_terms(self, params, x: jax.Array, noise: jax.Array) -> M1Terms:
    """M1 at z1 = mean + std * noise. x: [B, H, W, C]; noise: [B, K1]."""
    (mean, log_std), z1, (loc, log_scale) = self.m1.apply({"params": params}, x, noise)
    log_likelihood = self.observation.log_prob(loc, log_scale, x).reshape(x.shape[0], -1).sum(-1)
    return M1Terms(negative_elbo=losses.m1_negative_elbo(log_likelihood, mean, log_std),
                   log_likelihood=log_likelihood,
                   log_posterior=gaussian.diagonal_gaussian_log_prob(z1, mean, log_std),
                   z1=z1, posterior_mean=mean)

  def m2_terms(self, params, z1: jax.Array, noise: jax.Array) -> tuple[jax.Array, jax.Array]:
    """-> (logits of q(y|z1) [B, Y], -L(z1, y) [B, Y]). z1: [B, K1]; noise: [Y, B, K2]."""
    logits, posterior, _, decoded = self.m2.apply({"params": params}, z1, noise)
    return logits, losses.m2_negative_bounds(z1, posterior, decoded)

  def generate(self, params, labels: jax.Array, rng: jax.Array) -> jax.Array:
    """One image of each class in ``labels`` [N]: z2 ~ N(0, I), z1 ~ p(z1|y, z2), then the mean
    of p(x|z1) in data space. -> [N, H, W, C]."""
    z2_key, z1_key = jax.random.split(rng)
    y = jax.nn.one_hot(labels, self.num_classes)
    z2 = jax.random.normal(z2_key, (len(labels), self.config.model.z2_dim))
    mean, log_std = self.m2.apply({"params": params["m2"]}, y, z2, method=self.m2.decode)
    z1 = gaussian.reparameterize(mean, log_std, jax.random.normal(z1_key, mean.shape))
    loc, log_scale = self.m1.apply({"params": params["m1"]}, z1, method=self.m1.decode)
    return self.observation.mean(loc, log_scale)

  def objective(self, params, x: jax.Array, labels: jax.Array, noise: Dict[str, jax.Array],
                step: jax.Array):
    """The per-example loss [B] of ``step``'s stage and its terms. labels: [B], -1 unlabelled.

    Both stages are computed at every step and ``jnp.where`` keeps one: the other's
    parameters get exactly zero gradient, with no Python branch on the traced step."""
    m1 = self.m1_terms(params["m1"], x, noise["z1"])
    # z1 is M2's data: no gradient reaches M1 through it.
    logits, negative_bounds = self.m2_terms(params["m2"], jax.lax.stop_gradient(m1.z1),
                                            noise["z2"])
    m2_loss, m2_bound = losses.semi_supervised_loss(logits, negative_bounds, labels,
                                                    self.classification_weight)
    labelled = (labels >= 0).astype(jnp.float32)
    aux = {"m1_negative_elbo": m1.negative_elbo,
           "m2_negative_bound": m2_bound,
           # Its mean over batches is the mean cross-entropy of the labelled examples, as the
           # objective's term is, even where most batches hold no labelled row.
           "classification_ce": labelled * losses.cross_entropy(logits, labels)
                                / self.labelled_fraction,
           "fraction_labelled": labelled}
    return jnp.where(step < self.m1_steps, m1.negative_elbo, m2_loss), aux

  # -- the Experiment protocol -----------------------------------------------------------------

  def init(self, rng: jax.Array, example_batch: dict) -> TrainState:
    m1_key, m2_key = jax.random.split(rng)
    x = example_batch[self.key]
    noise = self.draw_noise(rng, x.shape[0])
    params = {"m1": self.m1.init(m1_key, x, noise["z1"])["params"],
              "m2": self.m2.init(m2_key, noise["z1"], noise["z2"])["params"]}
    return init_train_state(params, self.optimizer, self.config.train.ema_decay)

  def loss(self, params, model_state, batch: dict, rng: jax.Array, step: jax.Array):
    x = batch[self.key]
    return self.objective(params, x, batch["label"], self.draw_noise(rng, x.shape[0]), step)

  def eval_step(self, state: TrainState, batch: dict, rng: jax.Array) -> Dict[str, jax.Array]:
    """Per example: ``accuracy`` (0/1) and ``error`` of argmax q(y|x), ``loss`` its
    cross-entropy (nats); ``m1_negative_elbo``, M1's bound under its N(0, I) prior, and
    ``negative_elbo``, the bound of the whole model, M2 the prior of z1:
    ``-log p(x|z1) + log q(z1|x) - U(z1)`` at one z1 ~ q(z1|x) (nats)."""
    params, x, labels = state.eval_params, batch[self.key], batch["label"]
    noise = self.draw_noise(rng, x.shape[0])
    m1 = self.m1_terms(params["m1"], x, noise["z1"])
    logits_at_sample, negative_bounds = self.m2_terms(params["m2"], m1.z1, noise["z2"])
    negative_log_prior = losses.unlabelled_negative_bound(logits_at_sample, negative_bounds)
    # q(y|x) = q(y|z1) at M1's posterior mean, as the paper's code classifies.
    logits = self.m2.apply({"params": params["m2"]}, m1.posterior_mean, method=self.m2.classify)
    correct = (jnp.argmax(logits, -1) == labels).astype(jnp.float32)
    return {"accuracy": correct, "error": 1.0 - correct,
            "loss": losses.cross_entropy(logits, labels),
            "m1_negative_elbo": m1.negative_elbo,
            "negative_elbo": -m1.log_likelihood + m1.log_posterior + negative_log_prior}

  def sample(self, state: TrainState, rng: jax.Array, num: int) -> jax.Array:
    """``num`` images in data space, their classes cycling 0, 1, ..., Y - 1, 0, ..."""
    return self.generate(state.eval_params, self.sample_labels(num), rng)

  def sample_grid(self, state: TrainState, rng: jax.Array) -> jax.Array:
    """One row of ``GRID_COLUMNS`` samples per class."""
    labels = jnp.repeat(jnp.arange(self.num_classes), GRID_COLUMNS)
    return self.generate(state.eval_params, labels, rng)

  def grid_rows(self):
    names = self.info.class_names or [f"class {k}" for k in range(self.num_classes)]
    return tuple((name, 1) for name in names)

  def evaluate(self, state: TrainState, values: Dict[str, np.ndarray], sampler: Sampler,
               rng: jax.Array) -> Dict[str, float]:
    """Test ``accuracy``, ``error`` and ``loss`` of q(y|x); mean ``m1_negative_elbo`` and
    ``negative_elbo`` (nats per image, lower is better)."""
    names = ("accuracy", "error", "loss", "m1_negative_elbo", "negative_elbo")
    metrics = {name: float(np.mean(values[name])) for name in names}
    metrics["num_test_examples"] = int(len(values["accuracy"]))
    return metrics


def make_experiment(config: ml_collections.ConfigDict) -> SSVAEExperiment:
  return SSVAEExperiment(config)
