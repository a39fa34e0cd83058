"""StyleGAN2 (Karras et al. 2020) on the shared runner: one step trains both networks.

Per step, with the batch's real images x padded to the square canvas (``pad_to_canvas``) and
fresh latents for every G(z):

  theta_D <- Adam_D(grad mean L_D(D(x), D(G(z))))            L_D, L_G: non-saturating logistic
  every r1_interval steps:   theta_D <- Adam_D(grad r1_interval * gamma/2 mean R1(x))
  theta_G <- Adam_G(grad mean L_G(D(G(z))))                  against the updated D
  every pl_interval steps:   theta_G <- Adam_G(grad pl_interval * w_pl mean (||J^T y|| - a)^2)
                             on B / pl_batch_shrink samples
  ema_G, w_avg <- their EMAs

Lazy regularisation (2020 paper, Sec. 3.1 and App. B): a regulariser is its own step of its
network's optimizer (the same Adam state), its penalty times its interval k; as that makes k + 1
Adam steps per k minibatches, the learning rate is multiplied by c = k / (k + 1) and Adam's betas
raised to the power c (``lazy_corrected``). The regularisation steps run under ``lax.cond`` on the
step counter, so the one compiled step does their work only at steps 0, k, 2k, ...; at the other
steps their metrics (``r1``, ``pl_penalty``, ``path_length``) read 0. XLA:CPU runs convolutions
inside a conditional some 40x slower than outside one, where its own beat im2col's by about 2x
(R1's gradient on 32 images of 32x32, 2 loaded cores: 0.7 s plain, 30 s inside ``lax.cond``; as
im2col 1.3-2.2 s either way), so the lazy steps' convolutions are ``model.lazy_conv``'s (im2col)
and the others ``model.conv``'s (XLA's).

Every G(z) in training is drawn with style mixing (``mixed_ws``); ``TrainState.model_state``
holds ``w_avg``, the EMA of mapped w (``model.w_avg_beta``) that the truncation trick pulls
towards, and ``pl_mean``, the path-length penalty's running target a. Sampling, evaluation and the
grid use the EMA generator at ``sample.truncation_psi``: w <- w_avg + psi (w - w_avg).

Images are padded with the data's background (its range's low end) to the next power of two,
at least 8 (28x28 Fashion-MNIST -> 32x32), and samples cropped back, so the sample metrics see the
data's shape.
"""

import os
from typing import Dict, Optional

import jax
import jax.numpy as jnp
import ml_collections
import numpy as np
import optax

from jaxgen.core import evaluation
from jaxgen.core.experiment import Experiment, Sampler, TrainState, ema_update, optimizer_step
from jaxgen.core.optim import make_optimizer
from jaxgen.errors import ConfigError
from jaxgen.families.stylegan import losses
from jaxgen.families.stylegan.model import Discriminator, Generator, num_ws
from jaxgen.nn import adversarial
from jaxgen.nn.canvas import canvas_size, channels_at, crop_from_canvas, pad_to_canvas
from jaxgen.nn.conv import IMPLS as CONV_IMPLS

OBJECTIVE = "non_saturating"  # StyleGAN2's logistic loss, the family's one adversarial loss
GRID_COLUMNS = 10
GRID_SAMPLE_ROWS = 5
GRID_TRUNCATIONS = (1.0, 0.75, 0.5, 0.25, 0.0)  # one row each, the same 10 z
# The sample metrics that ``evaluate`` reports at each psi of ``eval.truncation_sweep``.
SWEEP_METRICS = ("fid", "kid", "precision", "recall", "num_classes_generated")
TRUNCATION_TABLE = "truncation.md"


def lazy_corrected(optimizer_config: ml_collections.ConfigDict,
                   interval: int) -> ml_collections.ConfigDict:
  """``optimizer_config`` for a network regularised lazily every ``interval`` minibatches (0:
  never): learning rate * c and betas ** c with c = interval / (interval + 1) (2020 paper,
  App. B)."""
  corrected = optimizer_config.copy_and_resolve_references()
  if interval:
    ratio = interval / (interval + 1)
    corrected.learning_rate = optimizer_config.learning_rate * ratio
    corrected.b1 = optimizer_config.b1 ** ratio
    corrected.b2 = optimizer_config.b2 ** ratio
  return corrected


def truncation_key(psi: float, name: str) -> str:
  """The metric name of sample metric ``name`` at truncation ``psi``: ``psi0.7_fid``."""
  return f"psi{psi:g}_{name}"


class StyleGANExperiment(Experiment):
  """Implements the Experiment protocol (jaxgen.core.experiment) for StyleGAN2."""
  grid_columns = GRID_COLUMNS

  def __init__(self, config: ml_collections.ConfigDict):
    super().__init__(config)
    self._check(config)
    m, c = config.model, config.loss
    self.shape = tuple(self.info.shape)
    self.resolution = canvas_size(self.shape)
    self.value_range = self.info.value_range(config.data.scale)
    self.num_ws = num_ws(self.resolution)
    # The same networks (the same parameters) with the convolutions of ``model.conv`` and, in
    # the lazy regularisation steps under ``lax.cond``, of ``model.lazy_conv``.
    self.generators = {lazy: Generator(self.resolution, self.shape[-1], m.w_dim,
                                       m.mapping_layers, m.mapping_lr_multiplier, m.channel_base,
                                       m.channel_max, m.lazy_conv if lazy else m.conv)
                       for lazy in (False, True)}
    self.discriminators = {lazy: Discriminator(m.channel_base, m.channel_max, m.mbstd_group_size,
                                               m.mbstd_channels, m.lazy_conv if lazy else m.conv)
                           for lazy in (False, True)}
    # 0: the regulariser is off, and its step is not built.
    self.r1_interval = c.r1_interval if c.r1_gamma > 0 else 0
    self.pl_interval = c.pl_interval if c.pl_weight > 0 else 0
    self.g_optimizer = self._optimizer(config.optimizer, self.pl_interval)
    self.d_optimizer = self._optimizer(config.d_optimizer, self.r1_interval)

  def _optimizer(self, optimizer_config, interval: int) -> optax.GradientTransformation:
    """The lazily corrected optimizer, its schedule spanning every update: the main steps and
    the regularisation steps. It updates the parameters' concatenation (``optax.flatten``): the
    same numbers for an elementwise optimizer, in one fused update instead of one per parameter
    array, of which the step has four (its compilation takes ~13% less)."""
    num_steps = self.config.train.num_steps
    num_updates = num_steps + (-(-num_steps // interval) if interval else 0)
    return optax.flatten(make_optimizer(lazy_corrected(optimizer_config, interval), num_updates))

  def _check(self, config: ml_collections.ConfigDict) -> None:
    m, c = config.model, config.loss
    if self.info.kind != "image":
      raise ConfigError(f"stylegan generates images; {self.info.name!r} is {self.info.kind}")
    if c.name != OBJECTIVE:
      raise ConfigError(f"stylegan trains the non-saturating logistic loss, "
                        f"loss.name={OBJECTIVE!r}; got {c.name!r}")
    if min(m.z_dim, m.w_dim, m.mapping_layers, m.channel_base, m.channel_max) < 1:
      raise ConfigError(f"model.z_dim, w_dim, mapping_layers, channel_base and channel_max must "
                        f"be >= 1; got {m.z_dim}, {m.w_dim}, {m.mapping_layers}, "
                        f"{m.channel_base}, {m.channel_max}")
    if m.conv not in CONV_IMPLS or m.lazy_conv not in CONV_IMPLS:
      raise ConfigError(f"model.conv {m.conv!r} or model.lazy_conv {m.lazy_conv!r} is unknown; "
                        f"valid: {', '.join(CONV_IMPLS)}")
    group = m.mbstd_group_size
    if group < 1 or config.train.batch_size % group or config.eval.batch_size % group:
      raise ConfigError(f"train.batch_size={config.train.batch_size} and eval.batch_size="
                        f"{config.eval.batch_size} must be multiples of "
                        f"model.mbstd_group_size={group} (>= 1)")
    width = channels_at(4, m.channel_base, m.channel_max)
    if m.mbstd_channels < 1 or width % m.mbstd_channels:
      raise ConfigError(f"model.mbstd_channels={m.mbstd_channels} must divide the {width} "
                        "channels at 4x4")
    if not 0 <= m.style_mixing_prob <= 1 or not 0 <= m.w_avg_beta < 1:
      raise ConfigError(f"model.style_mixing_prob must be in [0, 1] and model.w_avg_beta in "
                        f"[0, 1); got {m.style_mixing_prob}, {m.w_avg_beta}")
    if c.r1_gamma < 0 or c.pl_weight < 0 or c.r1_interval < 1 or c.pl_interval < 1:
      raise ConfigError(f"loss.r1_gamma and loss.pl_weight must be >= 0, loss.r1_interval and "
                        f"loss.pl_interval >= 1; got {c.r1_gamma}, {c.pl_weight}, "
                        f"{c.r1_interval}, {c.pl_interval}")
    if not 0 < c.pl_decay <= 1 or c.pl_batch_shrink < 1 or \
        config.train.batch_size % c.pl_batch_shrink:
      raise ConfigError(f"loss.pl_decay must be in (0, 1] and loss.pl_batch_shrink >= 1 divide "
                        f"train.batch_size={config.train.batch_size}; got {c.pl_decay}, "
                        f"{c.pl_batch_shrink}")

  # -- the networks as functions of params ------------------------------------------------------

  def latents(self, rng: jax.Array, num: int) -> jax.Array:
    """z ~ N(0, I): [num, z_dim]."""
    return jax.random.normal(rng, (num, self.config.model.z_dim))

  def map(self, g_params, z: jax.Array) -> jax.Array:
    """The mapping network: z [B, z_dim] -> w [B, w_dim]."""
    return self.generators[False].apply({"params": g_params}, z, method=Generator.map)

  def synthesize(self, g_params, ws: jax.Array, rng: jax.Array, lazy: bool = False) -> jax.Array:
    """The synthesis network: ws [B, num_ws, w_dim] -> canvas images [B, R, R, C], with the
    noise inputs drawn from ``rng``; ``lazy``: in a lazy regularisation step."""
    return self.generators[lazy].apply({"params": g_params}, ws, rngs={"noise": rng},
                                       method=Generator.synthesize)

  def critic(self, d_params, images: jax.Array, lazy: bool = False) -> jax.Array:
    """D: canvas images [B, R, R, C] -> logits [B]; ``lazy``: in a lazy regularisation step."""
    return self.discriminators[lazy].apply({"params": d_params}, images)

  def broadcast(self, w: jax.Array) -> jax.Array:
    """w [B, w_dim] -> ws [B, num_ws, w_dim], the same w at every layer."""
    return jnp.repeat(w[:, None], self.num_ws, axis=1)

  def mixed_ws(self, g_params, rng: jax.Array, num: int) -> tuple[jax.Array, jax.Array]:
    """Style mixing (Karras et al. 2019, Sec. 3.1): -> (ws [num, num_ws, w_dim], w [num, w_dim]).

    Each example's w = f(z) is used at every layer; with probability ``model.style_mixing_prob``
    the layers from a crossover index drawn uniformly in [1, num_ws) on use w2 = f(z2) instead
    (drawn per example; the reference draws one crossover per batch).
    """
    first_key, second_key, mix_key, crossover_key = jax.random.split(rng, 4)
    w = self.map(g_params, self.latents(first_key, num))
    ws = self.broadcast(w)
    probability = self.config.model.style_mixing_prob
    if probability > 0:
      w2 = self.map(g_params, self.latents(second_key, num))
      crossover = jnp.where(jax.random.uniform(mix_key, (num,)) < probability,
                            jax.random.randint(crossover_key, (num,), 1, self.num_ws), self.num_ws)
      first_layers = jnp.arange(self.num_ws)[None, :, None] < crossover[:, None, None]
      ws = jnp.where(first_layers, w[:, None], w2[:, None])
    return ws, w

  def truncated_ws(self, g_params, w_avg: jax.Array, rng: jax.Array, num: int,
                   psi: float) -> jax.Array:
    """The truncation trick (Karras et al. 2019, Sec. 3.3 / App. B): ws of fresh z with every
    w <- w_avg + psi (w - w_avg): psi = 1 untruncated, psi = 0 w_avg itself."""
    w = self.map(g_params, self.latents(rng, num))
    return self.broadcast(w_avg + psi * (w - w_avg))

  def generator_params(self, state: TrainState):
    """The generator's EMA params when EMA is on (evaluation and sampling), else its live ones."""
    return state.eval_params["generator"]

  def draw(self, state: TrainState, rng: jax.Array, num: int, psi: float) -> jax.Array:
    """``num`` canvas images of the (EMA) generator at truncation ``psi``: [num, R, R, C]."""
    params = self.generator_params(state)
    style_key, noise_key = jax.random.split(rng)
    ws = self.truncated_ws(params, state.model_state["w_avg"], style_key, num, psi)
    return self.synthesize(params, ws, noise_key)

  def to_canvas(self, images: jax.Array) -> jax.Array:
    return pad_to_canvas(images, self.resolution, self.value_range[0])

  # -- the objectives ---------------------------------------------------------------------------

  def discriminator_objective(self, d_params, g_params, real: jax.Array, rng: jax.Array):
    """Mean D loss on the real batch and as many mixed-style samples, and its terms."""
    style_key, noise_key = jax.random.split(rng)
    fake = self.synthesize(g_params, self.mixed_ws(g_params, style_key, real.shape[0])[0],
                           noise_key)
    real_logits = self.critic(d_params, real)
    fake_logits = self.critic(d_params, jax.lax.stop_gradient(fake))
    d_loss, _ = adversarial.non_saturating(real_logits, fake_logits)
    return jnp.mean(d_loss), {"d_real": jnp.mean(real_logits), "d_fake": jnp.mean(fake_logits)}

  def r1_objective(self, d_params, real: jax.Array):
    """The lazy R1 step's loss, ``r1_interval * gamma / 2 * mean R1``, and mean R1."""
    r1 = jnp.mean(losses.r1_penalty(lambda x: self.critic(d_params, x, lazy=True), real))
    return self.r1_interval * self.config.loss.r1_gamma / 2 * r1, r1

  def generator_objective(self, g_params, d_params, num: int, rng: jax.Array):
    """Mean G loss of ``num`` mixed-style samples against D, and the batch mean of their first
    w (``w_avg``'s update)."""
    style_key, noise_key = jax.random.split(rng)
    ws, w = self.mixed_ws(g_params, style_key, num)
    fake_logits = self.critic(d_params, self.synthesize(g_params, ws, noise_key))
    # G's loss reads only the samples' logits: no real batch is scored.
    _, g_loss = adversarial.non_saturating(jnp.zeros_like(fake_logits), fake_logits)
    return jnp.mean(g_loss), jnp.mean(jax.lax.stop_gradient(w), axis=0)

  def path_length_objective(self, g_params, pl_mean: jax.Array, num: int, rng: jax.Array):
    """The lazy path-length step's loss, ``pl_interval * w_pl * mean (||J^T y|| - a)^2`` on
    ``num`` mixed-style samples, and (mean penalty, mean length, the updated a)."""
    c = self.config.loss
    style_key, noise_key, y_key = jax.random.split(rng, 3)
    ws, _ = self.mixed_ws(g_params, style_key, num)
    lengths = losses.path_lengths(lambda ws: self.synthesize(g_params, ws, noise_key, lazy=True),
                                  ws, y_key)
    penalty, pl_mean = losses.path_length_penalty(lengths, pl_mean, c.pl_decay)
    penalty = jnp.mean(penalty)
    return self.pl_interval * c.pl_weight * penalty, (penalty, jnp.mean(lengths), pl_mean)

  # -- the Experiment protocol ------------------------------------------------------------------

  def init(self, rng: jax.Array, example_batch: dict) -> TrainState:
    m = self.config.model
    g_key, noise_key, d_key = jax.random.split(rng, 3)
    g_params = self.generators[False].init({"params": g_key, "noise": noise_key},
                                           self.latents(g_key, 1))["params"]
    canvas = jnp.zeros((m.mbstd_group_size, self.resolution, self.resolution, self.shape[-1]))
    d_params = self.discriminators[False].init(d_key, canvas)["params"]
    return TrainState(
        step=jnp.zeros((), jnp.int32),
        params={"generator": g_params, "discriminator": d_params},
        opt_state={"generator": self.g_optimizer.init(g_params),
                   "discriminator": self.d_optimizer.init(d_params)},
        # EMA of the generator only: D is not used for evaluation or sampling.
        ema_params={"generator": g_params} if self.config.train.ema_decay > 0 else None,
        model_state={"w_avg": jnp.zeros((m.w_dim,)), "pl_mean": jnp.zeros(())})

  def train_step(self, state: TrainState, batch: dict, rng: jax.Array):
    real = self.to_canvas(batch[self.key])
    d_key, g_key, pl_key = jax.random.split(rng, 3)
    g_params, d_params = state.params["generator"], state.params["discriminator"]
    d_opt_state, g_opt_state = state.opt_state["discriminator"], state.opt_state["generator"]
    zero = jnp.zeros((), jnp.float32)

    (d_loss, d_terms), d_grads = jax.value_and_grad(self.discriminator_objective, has_aux=True)(
        d_params, g_params, real, d_key)
    d_params, d_opt_state = optimizer_step(self.d_optimizer, d_grads, d_opt_state, d_params)
    r1 = zero
    if self.r1_interval:
      def r1_step():
        (_, r1), grads = jax.value_and_grad(self.r1_objective, has_aux=True)(d_params, real)
        return (*optimizer_step(self.d_optimizer, grads, d_opt_state, d_params), r1)

      d_params, d_opt_state, r1 = jax.lax.cond(
          state.step % self.r1_interval == 0, r1_step, lambda: (d_params, d_opt_state, zero))

    (g_loss, w_mean), g_grads = jax.value_and_grad(self.generator_objective, has_aux=True)(
        g_params, d_params, real.shape[0], g_key)
    g_params, g_opt_state = optimizer_step(self.g_optimizer, g_grads, g_opt_state, g_params)
    pl_mean = state.model_state["pl_mean"]
    pl_terms = (zero, zero, pl_mean)
    if self.pl_interval:
      num = real.shape[0] // self.config.loss.pl_batch_shrink

      def pl_step():
        (_, terms), grads = jax.value_and_grad(self.path_length_objective, has_aux=True)(
            g_params, pl_mean, num, pl_key)
        return (*optimizer_step(self.g_optimizer, grads, g_opt_state, g_params), terms)

      g_params, g_opt_state, pl_terms = jax.lax.cond(
          state.step % self.pl_interval == 0, pl_step,
          lambda: (g_params, g_opt_state, pl_terms))

    beta = self.config.model.w_avg_beta
    new_state = state.replace(
        step=state.step + 1,
        params={"generator": g_params, "discriminator": d_params},
        opt_state={"generator": g_opt_state, "discriminator": d_opt_state},
        ema_params=ema_update(state.ema_params, {"generator": g_params},
                              self.config.train.ema_decay),
        model_state={"w_avg": beta * state.model_state["w_avg"] + (1 - beta) * w_mean,
                     "pl_mean": pl_terms[2]})
    # ``loss`` is D's, as the GAN family's.
    metrics = {"loss": d_loss, "d_loss": d_loss, **d_terms, "g_loss": g_loss, "r1": r1,
               "pl_penalty": pl_terms[0], "path_length": pl_terms[1], "pl_mean": pl_terms[2],
               "d_grad_norm": optax.tree.norm(d_grads), "g_grad_norm": optax.tree.norm(g_grads),
               "d_param_norm": optax.tree.norm(d_params),
               "g_param_norm": optax.tree.norm(g_params)}
    return new_state, metrics

  def eval_step(self, state: TrainState, batch: dict, rng: jax.Array) -> Dict[str, jax.Array]:
    """Per example: D's logits on the batch's images (``d_real``) and on as many samples of the
    EMA generator at ``sample.truncation_psi`` (``d_fake``), and D's loss on them."""
    real = self.to_canvas(batch[self.key])
    fake = self.draw(state, rng, real.shape[0], self.config.sample.truncation_psi)
    d_params = state.params["discriminator"]
    real_logits, fake_logits = self.critic(d_params, real), self.critic(d_params, fake)
    d_loss, _ = adversarial.non_saturating(real_logits, fake_logits)
    return {"d_loss": d_loss, "d_real": real_logits, "d_fake": fake_logits}

  def sample(self, state: TrainState, rng: jax.Array, num: int,
             truncation_psi: Optional[float] = None) -> jax.Array:
    """``num`` samples of the (EMA) generator in the data's shape [num, H, W, C], at
    ``truncation_psi`` (default ``sample.truncation_psi``)."""
    psi = self.config.sample.truncation_psi if truncation_psi is None else truncation_psi
    return crop_from_canvas(self.draw(state, rng, num, psi), self.shape)

  def sample_grid(self, state: TrainState, rng: jax.Array) -> jax.Array:
    """``GRID_SAMPLE_ROWS`` rows of samples, then the same ``GRID_COLUMNS`` z (and noise) at
    each psi of ``GRID_TRUNCATIONS``, a row each."""
    params = self.generator_params(state)
    sample_key, style_key, noise_key = jax.random.split(rng, 3)
    rows = [self.sample(state, sample_key, GRID_SAMPLE_ROWS * GRID_COLUMNS)]
    w = self.map(params, self.latents(style_key, GRID_COLUMNS))
    w_avg = state.model_state["w_avg"]
    for psi in GRID_TRUNCATIONS:
      canvas = self.synthesize(params, self.broadcast(w_avg + psi * (w - w_avg)), noise_key)
      rows.append(crop_from_canvas(canvas, self.shape))
    return jnp.concatenate(rows)

  def grid_rows(self):
    psis = ", ".join(f"{psi:g}" for psi in GRID_TRUNCATIONS)
    return (("samples", GRID_SAMPLE_ROWS), (f"truncation psi = {psis} (column: one z)",
                                            len(GRID_TRUNCATIONS)))

  def evaluate(self, state: TrainState, results: Dict[str, np.ndarray], sampler: Sampler,
               rng: jax.Array) -> Dict[str, float]:
    """The eval split's means of ``eval_step``'s D outputs and loss; with ``eval.fid_extractor``
    the ``image_sample_metrics`` of ``eval.num_image_samples`` samples at
    ``sample.truncation_psi``, and ``SWEEP_METRICS`` at each psi of ``eval.truncation_sweep`` as
    ``psi<psi>_<name>``, every psi from the same z and noise."""
    e = self.config.eval
    metrics = {f"test_{name}": float(np.mean(value)) for name, value in results.items()
               if name != "label"}
    if not e.fid_extractor:
      return metrics
    metrics.update(evaluation.drawn_image_metrics(
        sampler(rng, e.num_image_samples), self.config.data.name, e, self.value_range))
    for psi in e.truncation_sweep:
      swept = evaluation.drawn_image_metrics(
          sampler(rng, e.num_image_samples, truncation_psi=float(psi)), self.config.data.name, e,
          self.value_range)
      metrics.update({truncation_key(psi, name): swept[name] for name in SWEEP_METRICS
                      if name in swept})
    return metrics

  def report(self, metrics: Dict[str, float], workdir: str) -> None:
    """``truncation.md``: the sample metrics against psi (``evaluate``'s sweep and
    ``sample.truncation_psi``'s own), when the sweep ran."""
    e = self.config.eval
    rows = {float(psi): {name: metrics.get(truncation_key(psi, name)) for name in SWEEP_METRICS}
            for psi in e.truncation_sweep if truncation_key(psi, "fid") in metrics}
    if not rows:
      return
    rows[float(self.config.sample.truncation_psi)] = {name: metrics.get(name)
                                                       for name in SWEEP_METRICS}
    lines = [f"Truncation (EMA generator, {e.num_image_samples} samples, {e.fid_extractor} "
             "features)", "", "| psi | " + " | ".join(SWEEP_METRICS) + " |",
             "|---:|" + "---:|" * len(SWEEP_METRICS)]
    for psi in sorted(rows, reverse=True):
      cells = ["" if rows[psi][name] is None else f"{rows[psi][name]:.4g}"
               for name in SWEEP_METRICS]
      lines.append(f"| {psi:g} | " + " | ".join(cells) + " |")
    with open(os.path.join(workdir, TRUNCATION_TABLE), "w") as f:
      f.write("\n".join(lines) + "\n")


def make_experiment(config: ml_collections.ConfigDict) -> StyleGANExperiment:
  return StyleGANExperiment(config)
