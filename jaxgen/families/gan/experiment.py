"""The GAN family on the shared runner: one step trains both networks.

Per step, with the step's global batch of B real examples split into ``n_critic`` micro-batches
of b = B / n_critic (a strided split: micro-batch i is rows i, i + n_critic, ..., so every
device's shard of the batch holds its share of each micro-batch):

  for i in 1..n_critic:   (a ``lax.scan``)
    theta_D <- theta_D - eta_D * grad[ mean L_D(D(x_i), D(G(z_i))) + penalties ],  z_i fresh
  theta_G <- theta_G - eta_G * grad[ mean L_G(D(x_n), D(G(z))) ],  z fresh, D already updated
  ema_G <- decay * ema_G + (1 - decay) * theta_G

so each critic iteration sees its own real examples, as the WGAN-GP reference code, which draws
a new real batch per critic iteration (``train.batch_size`` is n_critic times its batch). The two
networks have their own optimizers (``config.optimizer`` for G, ``config.d_optimizer`` for D:
two time-scale learning rates, Heusel et al. 2017). With packing (PacGAN), D scores groups of
``model.pack`` samples, so the losses are per pack: [b / pack].

Class-conditional GANs condition the generated samples of a critic iteration on that
micro-batch's real labels (the class mix of real and fake batches is then the same, and the
gradient penalty interpolates between examples of one class); the generator update and
``sample`` use uniformly drawn, respectively cycled (0, 1, ..., K-1, 0, ...), labels.
"""

from typing import Callable, Dict, Optional

import jax
import jax.numpy as jnp
import ml_collections
import numpy as np
import optax

from jaxgen.core import evaluation, latents
from jaxgen.core.experiment import Experiment, Sampler, TrainState, ema_update, optimizer_step
from jaxgen.core.optim import make_optimizer
from jaxgen.errors import ConfigError
from jaxgen.families.gan import losses
from jaxgen.families.gan.model import build_gan, pack_samples
from jaxgen.nn import adversarial

GRID_COLUMNS = 10
GRID_SAMPLE_ROWS = 6
GRID_INTERPOLATIONS = 4
# Noise draws whose batch statistics normalize evaluation samples (see GanExperiment.decode).
STATISTICS_SAMPLES = 1024


def output_activation(config: ml_collections.ConfigDict, kind: str) -> Callable:
  """Maps generator outputs into the data's range."""
  if kind == "points":
    return lambda x: x
  return jnp.tanh if config.data.scale == "-1_1" else jax.nn.sigmoid


def micro_batches(x: jax.Array, n: int) -> jax.Array:
  """x: [B, ...] -> [n, B / n, ...]; micro-batch i holds rows i, i + n, i + 2n, ..."""
  return jnp.swapaxes(x.reshape(x.shape[0] // n, n, *x.shape[1:]), 0, 1)


class GanExperiment(Experiment):
  """Implements the Experiment protocol (jaxgen.core.experiment) for GANs."""
  grid_columns = GRID_COLUMNS

  def __init__(self, config: ml_collections.ConfigDict):
    super().__init__(config)
    self.num_classes = self.info.num_classes if config.model.conditional else 0
    self._check(config)
    self.pack = config.model.pack
    self.n_critic = config.train.n_critic
    self.latent_dim = config.model.latent_dim
    self.generator, self.discriminator = build_gan(config.model, self.info.shape, self.num_classes)
    self.adversarial = losses.get_loss(config.loss.name)
    self.g_optimizer = make_optimizer(config.optimizer, config.train.num_steps)
    # D's schedule counts D updates: n_critic per step.
    self.d_optimizer = make_optimizer(config.d_optimizer, config.train.num_steps * self.n_critic)
    self.activation = output_activation(config, self.info.kind)

  def _check(self, config: ml_collections.ConfigDict) -> None:
    c = config
    if c.model.conditional and not self.info.num_classes:
      raise ConfigError(f"model.conditional needs a labelled dataset; {c.data.name!r} has no labels")
    if c.model.conditional and c.model.pack > 1:
      raise ConfigError("model.pack > 1 packs samples of different classes; use model.pack=1 "
                        "with model.conditional")
    if c.model.pack < 1 or c.train.n_critic < 1 or c.model.latent_dim < 1:
      raise ConfigError(f"model.pack, train.n_critic and model.latent_dim must be >= 1; got "
                        f"{c.model.pack}, {c.train.n_critic}, {c.model.latent_dim}")
    if c.train.batch_size % (c.train.n_critic * c.model.pack):
      raise ConfigError(f"train.batch_size={c.train.batch_size} must split into train.n_critic="
                        f"{c.train.n_critic} micro-batches of whole packs of model.pack="
                        f"{c.model.pack}: use a multiple of {c.train.n_critic * c.model.pack}")
    if c.eval.batch_size % c.model.pack:
      raise ConfigError(f"eval.batch_size={c.eval.batch_size} must be a multiple of "
                        f"model.pack={c.model.pack}")
    loss = losses.get_loss(c.loss.name)
    penalised = loss.gradient_penalty or c.loss.r1_weight > 0 or c.loss.r2_weight > 0
    if penalised and c.model.d_norm == "batch":
      raise ConfigError("gradient penalties (wgan_gp, loss.r1_weight, loss.r2_weight) are per "
                        "example; batch norm mixes examples: set model.d_norm to 'layer' or 'none'")
    if loss.weight_clip and c.loss.weight_clip <= 0:
      raise ConfigError(f"loss {c.loss.name!r} clips D's weights: loss.weight_clip must be > 0")

  # -- the networks as functions of params ------------------------------------------------------

  def generate(self, params, z: jax.Array, labels: Optional[jax.Array]) -> jax.Array:
    """G(z, y) in the data's range: z [B, latent_dim] -> [B, *shape]."""
    outputs, _ = self.generator.apply({"params": params}, z, labels, mutable=["batch_stats"])
    return self.activation(outputs)

  def critic(self, params, packed: jax.Array, labels: Optional[jax.Array]) -> jax.Array:
    """D(x, y): packed [P, ...] -> logits [P]."""
    logits, _ = self.discriminator.apply({"params": params}, packed, labels,
                                         mutable=["batch_stats"])
    return logits

  def noise(self, rng: jax.Array, num: int) -> jax.Array:
    return jax.random.normal(rng, (num, self.latent_dim))

  def generator_params(self, state: TrainState):
    """The generator's EMA params when EMA is on (evaluation and sampling), else its live ones."""
    return state.eval_params["generator"]

  def decode(self, state: TrainState, z: jax.Array, labels: Optional[jax.Array]) -> jax.Array:
    """Evaluation samples G(z, y) of the (EMA) generator: [B, *shape].

    With batch norm, z is generated together with a fixed reference batch of
    ``STATISTICS_SAMPLES`` noise draws whose statistics dominate the normalization (BigGAN's
    "standing statistics", computed on the fly): they belong to the weights being evaluated,
    where running averages collected in training belong to the live weights, not to their EMA,
    and a few samples (an interpolation) are normalized as well as many.
    """
    params = self.generator_params(state)
    if self.config.model.g_norm != "batch":
      return self.generate(params, z, labels)
    reference_z = self.noise(jax.random.PRNGKey(0), STATISTICS_SAMPLES)
    reference_labels = self.sample_labels(STATISTICS_SAMPLES)
    if labels is not None:
      reference_labels = jnp.concatenate([labels, reference_labels])
    samples = self.generate(params, jnp.concatenate([z, reference_z]), reference_labels)
    return samples[:z.shape[0]]

  # -- the two updates --------------------------------------------------------------------------

  def discriminator_objective(self, d_params, g_params, real: jax.Array,
                              labels: Optional[jax.Array], rng: jax.Array):
    """Mean D loss (adversarial + penalties) on one micro-batch, and its terms."""
    c = self.config.loss
    noise_key, penalty_key = jax.random.split(rng)
    fake = self.generate(g_params, self.noise(noise_key, real.shape[0]), labels)
    real_packed = pack_samples(real, self.pack)
    fake_packed = pack_samples(jax.lax.stop_gradient(fake), self.pack)
    real_logits = self.critic(d_params, real_packed, labels)
    fake_logits = self.critic(d_params, fake_packed, labels)
    d_adversarial, _ = self.adversarial.values(real_logits, fake_logits)
    total = d_adversarial
    terms = {"d_adversarial": d_adversarial, "d_real": real_logits, "d_fake": fake_logits}
    critic = lambda x, y: self.critic(d_params, x, y)
    if self.adversarial.gradient_penalty:
      terms["gradient_penalty"] = adversarial.gradient_penalty(critic, real_packed, fake_packed,
                                                               labels, penalty_key)
      total = total + c.gp_weight * terms["gradient_penalty"]
    if c.r1_weight > 0:
      terms["r1"] = adversarial.gradient_norm_penalty(critic, real_packed, labels)
      total = total + c.r1_weight * terms["r1"]
    if c.r2_weight > 0:
      terms["r2"] = adversarial.gradient_norm_penalty(critic, fake_packed, labels)
      total = total + c.r2_weight * terms["r2"]
    return jnp.mean(total), {name: jnp.mean(value) for name, value in terms.items()}

  def discriminator_update(self, d_params, d_opt_state, g_params, real, labels, rng):
    (d_loss, terms), grads = jax.value_and_grad(self.discriminator_objective, has_aux=True)(
        d_params, g_params, real, labels, rng)
    d_params, d_opt_state = optimizer_step(self.d_optimizer, grads, d_opt_state, d_params)
    if self.adversarial.weight_clip:
      d_params = losses.clip_weights(d_params, self.config.loss.weight_clip)
    metrics = {"d_loss": d_loss, **terms, "d_grad_norm": optax.tree.norm(grads)}
    return d_params, d_opt_state, metrics

  def generator_objective(self, g_params, d_params, real: jax.Array,
                          real_labels: Optional[jax.Array], rng: jax.Array) -> jax.Array:
    """Mean G loss against the updated D."""
    noise_key, label_key = jax.random.split(rng)
    labels = (jax.random.randint(label_key, real.shape[:1], 0, self.num_classes)
              if self.num_classes else None)
    fake = self.generate(g_params, self.noise(noise_key, real.shape[0]), labels)
    # Only losses that compare with real data (e.g. relativistic ones) read these logits; XLA
    # drops their computation for the others.
    real_logits = self.critic(d_params, pack_samples(real, self.pack), real_labels)
    fake_logits = self.critic(d_params, pack_samples(fake, self.pack), labels)
    _, g_loss = self.adversarial.values(jax.lax.stop_gradient(real_logits), fake_logits)
    return jnp.mean(g_loss)

  # -- the Experiment protocol ------------------------------------------------------------------

  def init(self, rng: jax.Array, example_batch: dict) -> TrainState:
    g_key, d_key = jax.random.split(rng)
    labels = self.sample_labels(1)
    # Batch norm's running averages (``batch_stats``) are never read: only params are kept.
    g_params = self.generator.init(g_key, self.noise(g_key, 1), labels)["params"]
    real = example_batch[self.key][:self.pack]
    d_params = self.discriminator.init(d_key, pack_samples(real, self.pack), labels)["params"]
    params = {"generator": g_params, "discriminator": d_params}
    return TrainState(
        step=jnp.zeros((), jnp.int32),
        params=params,
        opt_state={"generator": self.g_optimizer.init(g_params),
                   "discriminator": self.d_optimizer.init(d_params)},
        # EMA of the generator only: D is not used for evaluation or sampling.
        ema_params={"generator": g_params} if self.config.train.ema_decay > 0 else None)

  def train_step(self, state: TrainState, batch: dict, rng: jax.Array):
    real = micro_batches(batch[self.key], self.n_critic)
    labels = micro_batches(batch["label"], self.n_critic) if self.num_classes else None
    critic_key, generator_key = jax.random.split(rng)
    g_params = state.params["generator"]

    def critic_iteration(carry, inputs):
      d_params, d_opt_state = carry
      real_i, labels_i, key_i = inputs
      d_params, d_opt_state, metrics = self.discriminator_update(
          d_params, d_opt_state, g_params, real_i, labels_i, key_i)
      return (d_params, d_opt_state), metrics

    (d_params, d_opt_state), d_metrics = jax.lax.scan(
        critic_iteration, (state.params["discriminator"], state.opt_state["discriminator"]),
        (real, labels, jax.random.split(critic_key, self.n_critic)))

    g_loss, g_grads = jax.value_and_grad(self.generator_objective)(
        g_params, d_params, real[-1], None if labels is None else labels[-1], generator_key)
    g_params, g_opt_state = optimizer_step(self.g_optimizer, g_grads, state.opt_state["generator"],
                                           g_params)

    decay = self.config.train.ema_decay
    new_state = state.replace(
        step=state.step + 1,
        params={"generator": g_params, "discriminator": d_params},
        opt_state={"generator": g_opt_state, "discriminator": d_opt_state},
        ema_params=ema_update(state.ema_params, {"generator": g_params}, decay))
    metrics = {name: jnp.mean(values) for name, values in d_metrics.items()}
    # ``loss`` is D's: for Wasserstein losses its negation estimates the critic's W1 distance.
    metrics.update(loss=metrics["d_loss"], g_loss=g_loss, g_grad_norm=optax.tree.norm(g_grads),
                   g_param_norm=optax.tree.norm(g_params), d_param_norm=optax.tree.norm(d_params))
    return new_state, metrics

  def eval_step(self, state: TrainState, batch: dict, rng: jax.Array) -> Dict[str, jax.Array]:
    """Per-example D outputs and loss against as many EMA-generator samples (per pack, repeated
    to each of its examples); on Gaussian-mixture toys also each sample's true log-density
    ``sample_log_prob`` and ``high_quality`` (1 within 3 std of its nearest mode, else 0)."""
    real = batch[self.key]
    labels = batch["label"] if self.num_classes else None
    fake = self.decode(state, self.noise(rng, real.shape[0]), labels)
    d_params = state.params["discriminator"]
    real_logits = self.critic(d_params, pack_samples(real, self.pack), labels)
    fake_logits = self.critic(d_params, pack_samples(fake, self.pack), labels)
    d_loss, _ = self.adversarial.values(real_logits, fake_logits)
    per_example = lambda per_pack: jnp.repeat(per_pack, self.pack)
    metrics = {"d_loss": per_example(d_loss), "d_real": per_example(real_logits),
               "d_fake": per_example(fake_logits)}
    if self.info.log_prob is not None:
      metrics["sample_log_prob"] = self.info.log_prob(fake)
    if self.info.mode_centres is not None:
      distances = jnp.linalg.norm(fake[:, None, :] - jnp.asarray(self.info.mode_centres), axis=-1)
      metrics["high_quality"] = (jnp.min(distances, axis=1) < 3.0 * self.info.mode_std).astype(
          jnp.float32)
    return metrics

  def sample(self, state: TrainState, rng: jax.Array, num: int) -> jax.Array:
    """``num`` samples of the (EMA) generator: [num, *shape]; conditional ones cycle the classes."""
    return self.decode(state, self.noise(rng, num), self.sample_labels(num))

  def sample_grid(self, state: TrainState, rng: jax.Array) -> jax.Array:
    """Images: 6 rows of samples (conditional: column k is class k), then 4 spherical
    interpolations between two noise draws (conditional: row r at class r). Points: the
    ``eval.num_mode_samples`` samples that ``evaluate`` counts modes on."""
    if self.info.kind == "points":
      return self.sample(state, rng, self.config.eval.num_mode_samples)
    sample_key, *pair_keys = jax.random.split(rng, GRID_INTERPOLATIONS + 1)
    z = [self.noise(sample_key, GRID_SAMPLE_ROWS * GRID_COLUMNS)]
    for key in pair_keys:
      ends = self.noise(key, 2)
      z.append(latents.interpolate(ends[0], ends[1], GRID_COLUMNS, "spherical"))
    labels = None
    if self.num_classes:
      labels = jnp.concatenate([self.sample_labels(GRID_SAMPLE_ROWS * GRID_COLUMNS),
                                jnp.repeat(jnp.arange(GRID_INTERPOLATIONS) % self.num_classes,
                                           GRID_COLUMNS)])
    return self.decode(state, jnp.concatenate(z), labels)

  def grid_rows(self):
    if self.info.kind == "points":
      return super().grid_rows()
    return (("samples" + (" (column k: class k)" if self.num_classes else ""), GRID_SAMPLE_ROWS),
            ("spherical interpolations", GRID_INTERPOLATIONS))

  def evaluate(self, state: TrainState, results: Dict[str, np.ndarray], sampler: Sampler,
               rng: jax.Array) -> Dict[str, float]:
    """Toys: ``point_sample_metrics`` of ``eval.num_mode_samples`` samples (mode coverage as
    PacGAN and VEEGAN count it, MMD to ``eval_split``, true log-density). Images: the eval split's
    means of ``eval_step``'s D outputs and loss, and ``image_sample_metrics`` of
    ``eval.num_image_samples`` samples in the features of ``eval.fid_extractor`` ("" skips them)
    against the train split: FID, KID, precision / recall, and class coverage (+
    ``label_accuracy`` when conditional) or IS."""
    e = self.config.eval
    if self.info.kind == "points":
      return evaluation.point_sample_metrics(sampler(rng, e.num_mode_samples),
                                             self.config.data.name, self.eval_split)
    metrics = {f"test_{name}": float(np.mean(value)) for name, value in results.items()
               if name != "label"}
    if not e.fid_extractor:
      return metrics
    metrics.update(evaluation.drawn_image_metrics(
        sampler(rng, e.num_image_samples), self.config.data.name, e,
        self.info.value_range(self.config.data.scale), self.num_classes))
    return metrics


def make_experiment(config: ml_collections.ConfigDict) -> GanExperiment:
  return GanExperiment(config)
