"""Progressive growing of GANs (Karras et al. 2018) on the shared runner: one step trains both
networks at the step's stage.

The schedule (``Schedule``, a pure function of ``state.step``): stage 0 (4x4) for
``model.stable_steps`` steps; then each stage s = 1, ..., S - 1 fades its new layers in over
``model.fade_steps`` steps (alpha = steps into the stage / fade_steps, from 0) and trains them
stable (alpha = 1) for ``model.stable_steps``; the last stage (the canvas R) runs on to
``train.num_steps``. ``model.grow=False`` trains the full networks from step 0 (the baseline of
the same budget). Per step, at stage s and alpha, with the real images x padded to the canvas
and shown at r_s (2x2 means), faded as the generator's output, ``(1 - alpha) upsample(
downsample(x)) + alpha x``, and fresh z for every G(z):

  theta_D <- Adam(grad mean[D(G(z)) - D(x) + gamma GP + eps_drift D(x)^2])   WGAN-GP, n_critic 1
  theta_G <- Adam(grad mean[-D(G(z))])                                       against the new D
  ema_G <- its EMA

GP is ``jaxgen.nn.adversarial.gradient_penalty`` of the batch's summed scores, as the
reference: per example, the discriminator's minibatch standard deviation would see groups of
one. The drift term keeps D's outputs near 0 (the paper's Sec. A.1). Both Adam states restart at
the first step of every fade and of every stable phase after one, as the reference's
``reset_opt_for_new_lod``: a stage's new layers got no gradient before, and Adam's bias
correction would otherwise scale their first steps by up to 1 / sqrt(1 - beta2) = 10.

The step is one program: ``lax.switch`` over the stages, each branch at its own static
resolution, every branch returning the same parameters, optimizer states and metrics; every
stage's parameters exist from ``init``, so the checkpoint's tree never changes and a run resumes
exactly across a growth step. XLA:CPU runs convolutions inside a conditional many times slower
than outside one (stylegan/experiment.py), so ``model.conv`` is im2col on the CPU ("auto"). Eval
and the sample grid run at the step's stage (the grid upsampled to the canvas); ``sample`` and
the sample metrics at the last stage, with the EMA generator.
"""

import dataclasses
import functools
from typing import Callable, Dict

import jax
import jax.numpy as jnp
import ml_collections
import numpy as np
import optax

from jaxgen.core import evaluation
from jaxgen.core.experiment import Experiment, Sampler, TrainState, ema_update, optimizer_step
from jaxgen.core.optim import make_optimizer
from jaxgen.errors import ConfigError
from jaxgen.families.progan.model import (Discriminator, Generator, downsample_to, fade,
                                          upsample_to)
from jaxgen.nn import adversarial
from jaxgen.nn.canvas import canvas_size, crop_from_canvas, pad_to_canvas, resolutions
from jaxgen.nn.conv import IMPLS as CONV_IMPLS
from jaxgen.nn.equalized import downsample_2x, upsample_2x

OBJECTIVE = "wgan_gp"  # the paper's loss, the family's one adversarial loss


@dataclasses.dataclass(frozen=True)
class Schedule:
  """The growth schedule over ``num_stages`` stages (the networks of resolutions 4, ..., R).

  Stage 0 lasts ``stable_steps``; stage s >= 1 begins at ``stable_steps + (s - 1) * (fade_steps +
  stable_steps)`` with ``fade_steps`` of fade-in; the last stage never ends. ``grow=False``: the
  last stage at alpha 1 from step 0.
  """
  num_stages: int
  fade_steps: int
  stable_steps: int
  grow: bool = True

  @property
  def faded_in(self) -> int:
    """The first step of the last stage at alpha 1 (0 without growing)."""
    if not self.grow:
      return 0
    period = self.fade_steps + self.stable_steps
    return self.stable_steps + (self.num_stages - 2) * period + self.fade_steps

  def stage_and_alpha(self, step) -> tuple[jax.Array, jax.Array]:
    """step (an int or int32 scalar) -> (stage: int32 in [0, S), alpha: float32 in [0, 1])."""
    step = jnp.asarray(step, jnp.int32)
    if not self.grow:
      return jnp.full_like(step, self.num_stages - 1), jnp.ones(step.shape, jnp.float32)
    since_first = step - self.stable_steps  # steps since stage 1 began
    period = self.fade_steps + self.stable_steps
    stage = jnp.where(since_first < 0, 0,
                      jnp.minimum(self.num_stages - 1, 1 + since_first // period))
    into_stage = since_first - (stage - 1) * period
    if self.fade_steps:
      alpha = jnp.clip(into_stage.astype(jnp.float32) / self.fade_steps, 0.0, 1.0)
    else:
      alpha = jnp.ones(step.shape, jnp.float32)
    return stage.astype(jnp.int32), jnp.where(stage == 0, 1.0, alpha)

  def phase_starts(self, step) -> jax.Array:
    """Whether ``step`` (> 0) begins a fade or the stable phase after one: bool."""
    stage, alpha = self.stage_and_alpha(step)
    previous_stage, previous_alpha = self.stage_and_alpha(jnp.asarray(step) - 1)
    return (jnp.asarray(step) > 0) & ((stage != previous_stage) |
                                      ((alpha == 1.0) & (previous_alpha < 1.0)))


class ProGANExperiment(Experiment):
  """Implements the Experiment protocol (jaxgen.core.experiment) for ProGAN."""

  def __init__(self, config: ml_collections.ConfigDict):
    super().__init__(config)
    self._check(config)
    m = config.model
    self.shape = tuple(self.info.shape)
    self.resolution = canvas_size(self.shape)
    self.sides = resolutions(self.resolution)
    self.value_range = self.info.value_range(config.data.scale)
    self.schedule = Schedule(len(self.sides), m.fade_steps, m.stable_steps, m.grow)
    self.generator = Generator(self.resolution, self.shape[-1], m.channel_base, m.channel_max,
                               m.conv)
    self.discriminator = Discriminator(self.resolution, m.channel_base, m.channel_max,
                                       m.mbstd_group_size, m.conv)
    self.g_optimizer = self._optimizer(config.optimizer)
    self.d_optimizer = self._optimizer(config.d_optimizer)

  def _optimizer(self, optimizer_config) -> optax.GradientTransformation:
    """Updates the parameters' concatenation (``optax.flatten``): the same numbers for an
    elementwise optimizer, in one fused update (as stylegan's)."""
    return optax.flatten(make_optimizer(optimizer_config, self.config.train.num_steps))

  def _check(self, config: ml_collections.ConfigDict) -> None:
    m, c = config.model, config.loss
    if self.info.kind != "image":
      raise ConfigError(f"progan generates images; {self.info.name!r} is {self.info.kind}")
    if c.name != OBJECTIVE:
      raise ConfigError(f"progan trains WGAN-GP, loss.name={OBJECTIVE!r}; got {c.name!r}")
    if c.gp_weight < 0 or c.drift < 0:
      raise ConfigError(f"loss.gp_weight and loss.drift must be >= 0; got {c.gp_weight}, "
                        f"{c.drift}")
    if min(m.z_dim, m.channel_base, m.channel_max) < 1:
      raise ConfigError(f"model.z_dim, channel_base and channel_max must be >= 1; got "
                        f"{m.z_dim}, {m.channel_base}, {m.channel_max}")
    if m.conv not in CONV_IMPLS:
      raise ConfigError(f"model.conv {m.conv!r} is unknown; valid: {', '.join(CONV_IMPLS)}")
    group = m.mbstd_group_size
    if group < 1 or config.train.batch_size % group or config.eval.batch_size % group:
      raise ConfigError(f"train.batch_size={config.train.batch_size} and eval.batch_size="
                        f"{config.eval.batch_size} must be multiples of "
                        f"model.mbstd_group_size={group} (>= 1)")
    if m.fade_steps < 0 or m.stable_steps < 1:
      raise ConfigError(f"the growth schedule needs model.fade_steps >= 0 and "
                        f"model.stable_steps >= 1; got {m.fade_steps}, {m.stable_steps}")

  # -- the networks as functions of params ------------------------------------------------------

  def latents(self, rng: jax.Array, num: int) -> jax.Array:
    """z ~ N(0, I): [num, z_dim]."""
    return jax.random.normal(rng, (num, self.config.model.z_dim))

  def generate(self, g_params, z: jax.Array, stage: int, alpha: jax.Array) -> jax.Array:
    """G at ``stage`` (static) and ``alpha``: z [B, z_dim] -> [B, r_s, r_s, C]."""
    return self.generator.apply({"params": g_params}, z, stage, alpha)

  def critic(self, d_params, images: jax.Array, stage: int, alpha: jax.Array) -> jax.Array:
    """D at ``stage`` (static) and ``alpha``: images [N, r_s, r_s, C] -> [N]."""
    return self.discriminator.apply({"params": d_params}, images, stage, alpha)

  def to_canvas(self, images: jax.Array) -> jax.Array:
    return pad_to_canvas(images, self.resolution, self.value_range[0])

  def reals(self, canvas: jax.Array, stage: int, alpha: jax.Array) -> jax.Array:
    """Canvas images [B, R, R, C] as D sees them at ``stage``: 2x2 means down to r_s, faded as
    G's output, ``(1 - alpha) upsample(downsample(x)) + alpha x`` (the reference's)."""
    x = downsample_to(canvas, self.sides[stage])
    if stage == 0:
      return x
    return fade(upsample_2x(downsample_2x(x), "nearest"), x, alpha)

  def at_stage(self, stage: jax.Array, branch: Callable, *operands):
    """``branch(s, *operands)`` at the traced ``stage``: one ``lax.switch`` branch per stage
    when growing, else the last stage's alone (a plain program, no conditional)."""
    if not self.schedule.grow:
      return branch(len(self.sides) - 1, *operands)
    return jax.lax.switch(stage, [functools.partial(branch, s) for s in range(len(self.sides))],
                          *operands)

  def generator_params(self, state: TrainState):
    """The generator's EMA params when EMA is on (evaluation and sampling), else its live ones."""
    return state.eval_params["generator"]

  # -- the objectives ---------------------------------------------------------------------------

  def critic_objective(self, d_params, g_params, real: jax.Array, stage: int, alpha: jax.Array,
                       rng: jax.Array):
    """D's mean loss on ``real`` [B, r_s, r_s, C] and as many samples, and its terms."""
    c = self.config.loss
    z_key, gp_key = jax.random.split(rng)
    fake = jax.lax.stop_gradient(
        self.generate(g_params, self.latents(z_key, real.shape[0]), stage, alpha))
    critic = lambda x: self.critic(d_params, x, stage, alpha)
    real_scores, fake_scores = critic(real), critic(fake)
    wasserstein_loss, _ = adversarial.wasserstein(real_scores, fake_scores)
    penalty = adversarial.gradient_penalty(lambda x, _: critic(x), real, fake, None, gp_key,
                                          per_example=False)
    drift = jnp.square(real_scores)
    total = wasserstein_loss + c.gp_weight * penalty + c.drift * drift
    return jnp.mean(total), {"d_real": jnp.mean(real_scores), "d_fake": jnp.mean(fake_scores),
                             "gradient_penalty": jnp.mean(penalty), "drift": jnp.mean(drift)}

  def generator_objective(self, g_params, d_params, num: int, stage: int, alpha: jax.Array,
                          rng: jax.Array) -> jax.Array:
    """G's mean loss, -D(G(z)), of ``num`` fresh samples."""
    fake_scores = self.critic(d_params, self.generate(g_params, self.latents(rng, num), stage,
                                                      alpha), stage, alpha)
    return jnp.mean(-fake_scores)

  def stage_step(self, stage: int, params, opt_state, canvas: jax.Array, alpha: jax.Array,
                 rng: jax.Array):
    """One D and one G update at ``stage`` (static): -> (params, opt_state, metrics)."""
    real = self.reals(canvas, stage, alpha)
    d_key, g_key = jax.random.split(rng)
    g_params, d_params = params["generator"], params["discriminator"]
    (d_loss, d_terms), d_grads = jax.value_and_grad(self.critic_objective, has_aux=True)(
        d_params, g_params, real, stage, alpha, d_key)
    d_params, d_opt_state = optimizer_step(self.d_optimizer, d_grads, opt_state["discriminator"],
                                           d_params)
    g_loss, g_grads = jax.value_and_grad(self.generator_objective)(
        g_params, d_params, real.shape[0], stage, alpha, g_key)
    g_params, g_opt_state = optimizer_step(self.g_optimizer, g_grads, opt_state["generator"],
                                           g_params)
    metrics = {"d_loss": d_loss, **d_terms, "g_loss": g_loss,
               "d_grad_norm": optax.tree.norm(d_grads), "g_grad_norm": optax.tree.norm(g_grads)}
    return ({"generator": g_params, "discriminator": d_params},
            {"generator": g_opt_state, "discriminator": d_opt_state}, metrics)

  # -- the Experiment protocol ------------------------------------------------------------------

  def init(self, rng: jax.Array, example_batch: dict) -> TrainState:
    g_key, d_key = jax.random.split(rng)
    g_params = self.generator.init(g_key, self.latents(g_key, 1), method=Generator.pyramid)
    canvas = jnp.zeros((self.config.model.mbstd_group_size, self.resolution, self.resolution,
                        self.shape[-1]))
    d_params = self.discriminator.init(d_key, canvas, method=Discriminator.pyramid)
    params = {"generator": g_params["params"], "discriminator": d_params["params"]}
    return TrainState(
        step=jnp.zeros((), jnp.int32),
        params=params,
        opt_state={"generator": self.g_optimizer.init(params["generator"]),
                   "discriminator": self.d_optimizer.init(params["discriminator"])},
        # EMA of the generator only: D is not used for evaluation or sampling.
        ema_params={"generator": params["generator"]} if self.config.train.ema_decay > 0
        else None)

  def train_step(self, state: TrainState, batch: dict, rng: jax.Array):
    stage, alpha = self.schedule.stage_and_alpha(state.step)
    fresh = {"generator": self.g_optimizer.init(state.params["generator"]),
             "discriminator": self.d_optimizer.init(state.params["discriminator"])}
    restart = self.schedule.phase_starts(state.step)
    opt_state = jax.tree.map(lambda new, old: jnp.where(restart, new, old), fresh,
                             state.opt_state)
    params, opt_state, metrics = self.at_stage(stage, self.stage_step, state.params, opt_state,
                                               self.to_canvas(batch[self.key]), alpha, rng)
    new_state = state.replace(
        step=state.step + 1, params=params, opt_state=opt_state,
        ema_params=ema_update(state.ema_params, {"generator": params["generator"]},
                              self.config.train.ema_decay))
    # ``loss`` is D's, as the GAN family's.
    return new_state, {"loss": metrics["d_loss"], **metrics, "stage": stage.astype(jnp.float32),
                       "alpha": alpha, "d_param_norm": optax.tree.norm(params["discriminator"]),
                       "g_param_norm": optax.tree.norm(params["generator"])}

  def eval_step(self, state: TrainState, batch: dict, rng: jax.Array) -> Dict[str, jax.Array]:
    """Per example, at the step's stage and alpha: D's outputs on the batch's images
    (``d_real``) and on as many samples of the EMA generator (``d_fake``), and their difference
    (``wasserstein``, its mean the critic's estimate of the distance)."""
    stage, alpha = self.schedule.stage_and_alpha(state.step)

    def scores(s: int, canvas, alpha, rng):
      fake = self.generate(self.generator_params(state), self.latents(rng, canvas.shape[0]), s,
                           alpha)
      d_params = state.params["discriminator"]
      return (self.critic(d_params, self.reals(canvas, s, alpha), s, alpha),
              self.critic(d_params, fake, s, alpha))

    real_scores, fake_scores = self.at_stage(stage, scores, self.to_canvas(batch[self.key]),
                                             alpha, rng)
    return {"d_real": real_scores, "d_fake": fake_scores,
            "wasserstein": real_scores - fake_scores}

  def sample(self, state: TrainState, rng: jax.Array, num: int) -> jax.Array:
    """``num`` samples of the (EMA) generator at the last stage, in the data's shape
    [num, H, W, C]."""
    last = len(self.sides) - 1
    canvas = self.generate(self.generator_params(state), self.latents(rng, num), last, 1.0)
    return crop_from_canvas(canvas, self.shape)

  def sample_grid(self, state: TrainState, rng: jax.Array) -> jax.Array:
    """``eval.num_samples`` samples of the (EMA) generator at the step's stage and alpha,
    upsampled (nearest) to the canvas and cropped to the data's shape."""
    stage, alpha = self.schedule.stage_and_alpha(state.step)
    z = self.latents(rng, self.config.eval.num_samples)

    def draw(s: int, z, alpha):
      return upsample_to(self.generate(self.generator_params(state), z, s, alpha),
                         self.resolution)

    return crop_from_canvas(self.at_stage(stage, draw, z, alpha), self.shape)

  def evaluate(self, state: TrainState, results: Dict[str, np.ndarray], sampler: Sampler,
               rng: jax.Array) -> Dict[str, float]:
    """The eval split's means of ``eval_step``'s D outputs; with ``eval.fid_extractor`` the
    ``image_sample_metrics`` of ``eval.num_image_samples`` samples of the last stage."""
    e = self.config.eval
    metrics = {f"test_{name}": float(np.mean(value)) for name, value in results.items()
               if name != "label"}
    if e.fid_extractor:
      metrics.update(evaluation.drawn_image_metrics(
          sampler(rng, e.num_image_samples), self.config.data.name, e, self.value_range))
    return metrics


def make_experiment(config: ml_collections.ConfigDict) -> ProGANExperiment:
  return ProGANExperiment(config)
