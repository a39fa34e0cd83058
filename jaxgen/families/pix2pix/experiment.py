"""pix2pix (Isola et al. 2017) on the shared runner: a conditional GAN that translates a paired
source (``data.paired_source``: each image's edge map) into the image.

Per step, on the batch's (source x, image y) pairs, with one dropout draw for G(x):

  theta_D <- theta_D - eta_D grad[ 1/2 mean L_D(D(x, y), D(x, G(x))) ]
  theta_G <- theta_G - eta_G grad[ mean w_adv L_G(D(x, G(x))) + lambda |y - G(x)| ]  (D updated)

(``losses``). G(x) is computed once: its vector-Jacobian product carries the gradient of G's loss
with respect to the translation back to G's parameters. ``loss.adversarial_weight = 0`` builds
no discriminator and trains the same U-Net on lambda L1 alone (the paper's L1 baseline).

Evaluation translates with dropout on, as the paper tests (its only noise). ``eval_step``: per
example L1 (the data's scale, as the loss) and PSNR (dB, pixels in [0, 1]); ``evaluate``: their
means, SSIM, and FID / KID / precision / recall of the split's translations against its images.
"""

from typing import Dict

import jax
import jax.numpy as jnp
import ml_collections
import numpy as np
import optax

from jaxgen.core import evaluation
from jaxgen.core.experiment import (Examples, Experiment, Sampler, TrainState, ema_update,
                                    optimizer_step)
from jaxgen.core.optim import make_optimizer
from jaxgen.errors import ConfigError, UnknownNameError
from jaxgen.eval import ssim as ssim_lib
from jaxgen.families.pix2pix import losses
from jaxgen.nn.translation import PatchDiscriminator, UNetGenerator

HELD_OUT = 512  # the eval split's first sources, which ``sample`` and the grid translate
GRID_COLUMNS = 10


class Pix2PixExperiment(Experiment):
  """Implements the Experiment protocol (jaxgen.core.experiment) for pix2pix."""
  grid_columns = GRID_COLUMNS

  def __init__(self, config: ml_collections.ConfigDict):
    super().__init__(config)
    self._check(config)
    m, c = config.model, config.loss
    self.adversarial_weight, self.l1_weight = float(c.adversarial_weight), float(c.l1_weight)
    self.adversarial = losses.ADVERSARIAL_LOSSES[c.name]
    self.generator = UNetGenerator(self.info.shape[-1], m.features, m.dropout_rate,
                                   m.dropout_blocks, m.conv)
    # Without the adversarial term D would train for nothing: there is none.
    self.discriminator = (PatchDiscriminator(m.d_features, m.d_num_downsamples, m.conv)
                          if self.adversarial_weight > 0 else None)
    self.g_optimizer = make_optimizer(config.optimizer, config.train.num_steps)
    self.d_optimizer = make_optimizer(config.d_optimizer, config.train.num_steps)
    self.low, self.high = self.info.value_range(config.data.scale)
    self.activation = jnp.tanh if config.data.scale == "-1_1" else jax.nn.sigmoid

  def _check(self, config: ml_collections.ConfigDict) -> None:
    m, c = config.model, config.loss
    if self.info.kind != "image":
      raise ConfigError(f"pix2pix translates images; {self.info.name!r} is {self.info.kind}")
    if not config.data.paired_source:
      raise ConfigError("pix2pix translates a paired source into the image: set "
                        "data.paired_source (e.g. 'edges')")
    if c.name not in losses.ADVERSARIAL_LOSSES:
      raise UnknownNameError(f"unknown pix2pix loss {c.name!r}; valid: "
                             f"{', '.join(losses.ADVERSARIAL_LOSSES)}")
    if c.adversarial_weight < 0 or c.l1_weight < 0 or c.adversarial_weight + c.l1_weight == 0:
      raise ConfigError(f"loss.adversarial_weight and loss.l1_weight must be >= 0, not both 0; "
                        f"got {c.adversarial_weight}, {c.l1_weight}")
    if not 0 <= m.dropout_rate < 1 or m.dropout_blocks < 0:
      raise ConfigError(f"model.dropout_rate must be in [0, 1) and model.dropout_blocks >= 0; "
                        f"got {m.dropout_rate}, {m.dropout_blocks}")
    if m.features < 1 or m.d_features < 1 or m.d_num_downsamples < 0:
      raise ConfigError(f"model.features and model.d_features must be >= 1, "
                        f"model.d_num_downsamples >= 0; got {m.features}, {m.d_features}, "
                        f"{m.d_num_downsamples}")

  # -- the networks as functions of params ------------------------------------------------------

  def translate(self, params, source: jax.Array, rng: jax.Array) -> jax.Array:
    """G(x) in the data's range, with dropout drawn from ``rng``: [B, H, W, 1] -> [B, *shape]."""
    outputs = self.generator.apply({"params": params}, source, rngs={"dropout": rng})
    return self.activation(outputs)

  def critic(self, params, source: jax.Array, image: jax.Array) -> jax.Array:
    """D(x, y): patch logits [B, P, Q]."""
    return self.discriminator.apply({"params": params}, source, image)

  def to_unit(self, x: jax.Array) -> jax.Array:
    """Data range -> [0, 1]."""
    return (x - self.low) / (self.high - self.low)

  def generator_params(self, state: TrainState):
    """The generator's EMA params when EMA is on (evaluation and sampling), else its live ones."""
    return state.eval_params["generator"]

  # -- the two objectives -----------------------------------------------------------------------

  def discriminator_objective(self, d_params, source: jax.Array, image: jax.Array,
                              translation: jax.Array):
    """Mean D loss on the batch's real and translated pairs, and its terms."""
    real_logits = self.critic(d_params, source, image)
    fake_logits = self.critic(d_params, source, translation)
    d_loss = losses.discriminator_loss(self.adversarial, real_logits, fake_logits)
    return jnp.mean(d_loss), {"d_real": jnp.mean(real_logits), "d_fake": jnp.mean(fake_logits)}

  def generator_objective(self, translation: jax.Array, d_params, source: jax.Array,
                          image: jax.Array):
    """Mean G loss of the translations G(x) against D (``d_params`` None: no D), and its terms."""
    real_logits = fake_logits = None
    if self.discriminator is not None:
      real_logits = self.critic(d_params, source, image)
      fake_logits = self.critic(d_params, source, translation)
    total, terms = losses.generator_loss(self.adversarial, translation, image, real_logits,
                                         fake_logits, self.adversarial_weight, self.l1_weight)
    return jnp.mean(total), {name: jnp.mean(value) for name, value in terms.items()}

  # -- the Experiment protocol ------------------------------------------------------------------

  def prepare(self, examples: Examples) -> None:
    held_out = examples(self.eval_split, HELD_OUT)
    self.held_out_source = jnp.asarray(held_out["source"])
    self.held_out_image = jnp.asarray(held_out[self.key])

  def init(self, rng: jax.Array, example_batch: dict) -> TrainState:
    g_key, dropout_key, d_key = jax.random.split(rng, 3)
    source, image = example_batch["source"][:1], example_batch[self.key][:1]
    params = {"generator": self.generator.init({"params": g_key, "dropout": dropout_key},
                                               source)["params"]}
    opt_state = {"generator": self.g_optimizer.init(params["generator"])}
    if self.discriminator is not None:
      params["discriminator"] = self.discriminator.init(d_key, source, image)["params"]
      opt_state["discriminator"] = self.d_optimizer.init(params["discriminator"])
    return TrainState(
        step=jnp.zeros((), jnp.int32), params=params, opt_state=opt_state,
        # EMA of the generator only: D is not used for evaluation or sampling.
        ema_params={"generator": params["generator"]} if self.config.train.ema_decay > 0 else None)

  def train_step(self, state: TrainState, batch: dict, rng: jax.Array):
    source, image = batch["source"], batch[self.key]
    g_params, d_params = state.params["generator"], state.params.get("discriminator")
    translation, pullback = jax.vjp(lambda p: self.translate(p, source, rng), g_params)
    params, opt_state, metrics = dict(state.params), dict(state.opt_state), {}
    if self.discriminator is not None:
      (d_loss, d_terms), d_grads = jax.value_and_grad(self.discriminator_objective, has_aux=True)(
          d_params, source, image, translation)
      d_params, opt_state["discriminator"] = optimizer_step(
          self.d_optimizer, d_grads, state.opt_state["discriminator"], d_params)
      params["discriminator"] = d_params
      metrics.update(d_loss=d_loss, **d_terms, d_grad_norm=optax.tree.norm(d_grads),
                     d_param_norm=optax.tree.norm(d_params))
    (g_loss, g_terms), translation_grads = jax.value_and_grad(
        self.generator_objective, has_aux=True)(translation, d_params, source, image)
    (g_grads,) = pullback(translation_grads)
    g_params, opt_state["generator"] = optimizer_step(
        self.g_optimizer, g_grads, state.opt_state["generator"], g_params)
    params["generator"] = g_params
    new_state = state.replace(
        step=state.step + 1, params=params, opt_state=opt_state,
        ema_params=ema_update(state.ema_params, {"generator": g_params},
                              self.config.train.ema_decay))
    metrics.update(loss=g_loss, **g_terms, g_grad_norm=optax.tree.norm(g_grads),
                   g_param_norm=optax.tree.norm(g_params))
    return new_state, metrics

  def eval_step(self, state: TrainState, batch: dict, rng: jax.Array) -> Dict[str, jax.Array]:
    """Per example: ``l1``, the mean |G(x) - y| per pixel in the data's scale (the loss's term),
    and ``psnr`` in dB with pixels in [0, 1]."""
    translation = self.translate(self.generator_params(state), batch["source"], rng)
    image = batch[self.key]
    return {"l1": losses.l1_distance(translation, image),
            "psnr": ssim_lib.psnr(self.to_unit(translation), self.to_unit(image))}

  def evaluate_step(self, state: TrainState, batch: dict, rng: jax.Array) -> Dict[str, jax.Array]:
    """``eval_step``'s values, ``ssim`` (pixels in [0, 1]; images of at least SSIM's window, so
    not 8x8 digits) and the ``translation`` itself ([B, *shape] in [0, 1]), whose features
    ``evaluate`` compares with the split's images."""
    translation = self.translate(self.generator_params(state), batch["source"], rng)
    image = batch[self.key]
    unit_translation, unit_image = self.to_unit(translation), self.to_unit(image)
    values = {"l1": losses.l1_distance(translation, image),
              "psnr": ssim_lib.psnr(unit_translation, unit_image),
              "translation": unit_translation}
    if min(self.info.shape[:2]) >= ssim_lib.WINDOW_SIZE:
      values["ssim"] = ssim_lib.ssim(unit_translation, unit_image)
    return values

  def sample(self, state: TrainState, rng: jax.Array, num: int) -> jax.Array:
    """Translations of the first ``num`` held-out sources (cycled): [num, *shape]."""
    sources = self.held_out_source[jnp.arange(num) % len(self.held_out_source)]
    return self.translate(self.generator_params(state), sources, rng)

  def grid_triplets(self) -> int:
    """Rows of ``GRID_COLUMNS`` held-out examples in the grid: ``eval.num_samples`` rounded
    down to whole rows, at least one."""
    return max(1, self.config.eval.num_samples // GRID_COLUMNS)

  def sample_grid(self, state: TrainState, rng: jax.Array) -> jax.Array:
    """For each row of held-out examples, three rows: sources, translations, true images."""
    num = self.grid_triplets() * GRID_COLUMNS
    source = self.held_out_source[:num]
    translation = self.translate(self.generator_params(state), source, rng)
    # A source's {0, 1} drawn in the data's range, and its channels as the image's.
    shown_source = jnp.broadcast_to(self.low + source * (self.high - self.low), translation.shape)
    rows = [x.reshape(-1, GRID_COLUMNS, *self.info.shape)
            for x in (shown_source, translation, self.held_out_image[:num])]
    return jnp.stack(rows, axis=1).reshape(-1, *self.info.shape)

  def grid_rows(self):
    source = f"sources ({self.config.data.paired_source})"
    return ((source, 1), ("translations", 1), ("true images", 1)) * self.grid_triplets()

  def evaluate(self, state: TrainState, results: Dict[str, np.ndarray], sampler: Sampler,
               rng: jax.Array) -> Dict[str, float]:
    """The split's mean ``l1``, ``psnr`` and ``ssim`` (where measured), and
    ``image_sample_metrics`` of its translations in the features of ``eval.fid_extractor`` (""
    skips them) against the split's images: FID, KID, precision / recall, class coverage and
    ``label_accuracy``, the classifier's agreement with the true image's class."""
    return evaluation.translation_metrics(results, ("l1", "psnr", "ssim"), self.config.data.name,
                                          self.config.eval, self.eval_split)


def make_experiment(config: ml_collections.ConfigDict) -> Pix2PixExperiment:
  return Pix2PixExperiment(config)
