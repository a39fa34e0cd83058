"""CycleGAN (Zhu et al. 2017) on the shared runner: unpaired translation between two image
domains A and B, with G: A -> B, F: B -> A (U-Nets or the paper's ResNets) and PatchGANs D_A, D_B
(``jaxgen.nn.translation``), trained on ``losses``' objective. Two kinds of domain pair:

  edges (``data.paired_source``): A the images' edge maps, B the images. Each training batch's
  first half gives A's examples (their edge maps alone), its second half B's (their images
  alone): different examples of the loader's shuffled stream, so no image meets its own edge map
  in a step -- not even as a set, which a permutation of the batch's images would leave (D_B
  would see exactly the images whose edges G translates). The pairs serve evaluation only, which
  scores G(edges) against the true images exactly as pix2pix does, so the two compare directly.

  classes (``data.domain_classes`` (a, b)): A the images of class a, B those of class b, disjoint
  by construction. The loader makes each training batch's first half class a and its second
  half class b (two class streams, ``loader.ClassBlocks``), so the step is the edges' step,
  every example of the batch trains, and no mask halves the work. Scored per direction on the
  split's images of the two classes: the classifier's target-class accuracy of G(a) and F(b),
  FID / KID to the target class's images, and the cycles' PSNR; there is no true pair.

Per step, as the official code: G and F take one Adam step on their joint loss against the
current D_A, D_B; then D_A, D_B one on their loss, the fakes drawn from image pools of past
translations (``pool``, kept in ``TrainState.model_state``). Both domains are in the data's range
(edges {0, 1} mapped onto it), so G and F end in the same activation and the cycle terms weigh
alike.

Evaluation on pairs: ``eval_step`` per example L1 and PSNR (pixels in [0, 1]) of G(a) against
the true image, and the cycle errors |F(G(a)) - a| and |G(F(b)) - b|; ``evaluate`` their means,
SSIM, and FID / KID / precision / recall of the translations against the split's images.
Between classes, each example is translated out of its own class and back (``own_cycles``).
"""

from typing import Dict

import jax
import jax.numpy as jnp
import ml_collections
import numpy as np

from jaxgen.core import evaluation
from jaxgen.core.experiment import Examples, Experiment, Sampler, TrainState, apply_gradients
from jaxgen.core.optim import make_optimizer
from jaxgen.errors import ConfigError
from jaxgen.eval import ssim as ssim_lib
from jaxgen.families.cyclegan import losses, pool
from jaxgen.nn.translation import PatchDiscriminator, ResNetGenerator, UNetGenerator

HELD_OUT = 512  # the eval split's first examples, which ``sample`` and the grid translate
GRID_COLUMNS = 10
SOURCE_CHANNELS = 1  # an edge map's (jaxgen.data.edges)
GENERATORS = ("unet", "resnet")


class CycleGanExperiment(Experiment):
  """Implements the Experiment protocol (jaxgen.core.experiment) for CycleGAN."""
  grid_columns = GRID_COLUMNS

  def __init__(self, config: ml_collections.ConfigDict):
    super().__init__(config)
    self.classes = tuple(config.data.domain_classes)  # (a, b); (): edges <-> images
    self._check(config)
    m, c = config.model, config.loss
    self.cycle_weight, self.identity_weight = float(c.cycle_weight), float(c.identity_weight)
    self.pool_size = int(c.pool_size)
    self.a_to_b, self.b_to_a = (self.make_generator(m, channels)
                                for channels in (self.info.shape[-1], self.channels_a()))
    self.discriminator = PatchDiscriminator(m.d_features, m.d_num_downsamples, m.conv)
    self.g_optimizer = make_optimizer(config.optimizer, config.train.num_steps)
    self.d_optimizer = make_optimizer(config.d_optimizer, config.train.num_steps)
    self.low, self.high = self.info.value_range(config.data.scale)
    self.activation = jnp.tanh if config.data.scale == "-1_1" else jax.nn.sigmoid

  def channels_a(self) -> int:
    """Domain A's channels: an edge map's, or the images' (class pairs)."""
    return self.info.shape[-1] if self.classes else SOURCE_CHANNELS

  def _check(self, config: ml_collections.ConfigDict) -> None:
    m, c, classes = config.model, config.loss, self.classes
    if self.info.kind != "image":
      raise ConfigError(f"CycleGAN translates images; {self.info.name!r} is {self.info.kind}")
    if bool(config.data.paired_source) == bool(classes):
      raise ConfigError(f"CycleGAN translates between two domains: set data.paired_source (e.g. "
                        f"'edges': edge maps <-> images) or data.domain_classes (e.g. (7, 9): "
                        f"one class's images <-> another's), one of them; got "
                        f"{config.data.paired_source!r} and {list(classes)}")
    if classes and (len(classes) != 2 or not config.eval.fid_extractor):
      raise ConfigError(f"data.domain_classes must be two classes (a, b), scored by the classifier "
                        f"eval.fid_extractor of the data's classes; got {list(classes)} and "
                        f"{config.eval.fid_extractor!r}")
    if c.name != "least_squares":
      raise ConfigError(f"CycleGAN trains with the paper's least-squares GAN: set "
                        f"loss.name='least_squares', not {c.name!r}")
    if config.train.batch_size < 2 or config.train.batch_size % 2:
      raise ConfigError(f"train.batch_size must be even and >= 2 (its halves are the two "
                        f"domains' examples); got {config.train.batch_size}")
    if c.cycle_weight < 0 or c.identity_weight < 0 or c.pool_size < 0:
      raise ConfigError(f"loss.cycle_weight, loss.identity_weight and loss.pool_size must be "
                        f">= 0; got {c.cycle_weight}, {c.identity_weight}, {c.pool_size}")
    if c.identity_weight > 0 and self.info.shape[-1] != self.channels_a():
      raise ConfigError(f"the identity loss feeds each domain to the other's generator: it "
                        f"needs {self.info.name!r}'s {self.info.shape[-1]} channels to be the "
                        f"source's {self.channels_a()}; set loss.identity_weight=0")
    if m.generator not in GENERATORS or m.num_blocks < 1:
      raise ConfigError(f"model.generator must be one of {', '.join(GENERATORS)} and "
                        f"model.num_blocks >= 1; got {m.generator!r}, {m.num_blocks}")
    if m.features < 1 or m.d_features < 1 or m.d_num_downsamples < 0:
      raise ConfigError(f"model.features and model.d_features must be >= 1, "
                        f"model.d_num_downsamples >= 0; got {m.features}, {m.d_features}, "
                        f"{m.d_num_downsamples}")

  @staticmethod
  def make_generator(m: ml_collections.ConfigDict, out_channels: int):
    """``model.generator``'s network: pix2pix's U-Net without dropout (the official code's
    CycleGAN default) or the paper's ResNet."""
    if m.generator == "resnet":
      return ResNetGenerator(out_channels, m.features, m.num_blocks, m.conv)
    return UNetGenerator(out_channels, m.features, dropout_blocks=0, conv=m.conv)

  # -- the networks as functions of params ------------------------------------------------------

  def translate(self, params, network: str, x: jax.Array) -> jax.Array:
    """``network`` ("a_to_b": G, "b_to_a": F) of x, in the data's range: [B, H, W, C_in] ->
    [B, H, W, C_out]."""
    module = self.a_to_b if network == "a_to_b" else self.b_to_a
    return self.activation(module.apply({"params": params[network]}, x))

  def critic(self, params, domain: str, x: jax.Array) -> jax.Array:
    """D_domain(x): patch logits [B, P, Q]."""
    return self.discriminator.apply({"params": params[domain]}, x)

  def to_domain_a(self, source: jax.Array) -> jax.Array:
    """An edge map's {0, 1} -> the data's range, domain A's pixels."""
    return self.low + source * (self.high - self.low)

  def domain_a(self, batch: dict) -> jax.Array:
    """The batch's examples as domain A sees them, in the data's range: their edge maps, or
    (class pairs) the images themselves: [B, H, W, C_a]."""
    return batch[self.key] if self.classes else self.to_domain_a(batch["source"])

  def to_unit(self, x: jax.Array) -> jax.Array:
    """Data range -> [0, 1]."""
    return (x - self.low) / (self.high - self.low)

  def generator_params(self, state: TrainState):
    """G's and F's EMA params when EMA is on (evaluation and sampling), else their live ones."""
    return state.eval_params["generators"]

  # -- the two objectives -----------------------------------------------------------------------

  def generator_objective(self, g_params, d_params, a: jax.Array, b: jax.Array):
    """Mean loss of G and F against D_A, D_B, its terms, and the translations (F(b), G(a))."""
    fake_b, fake_a = self.translate(g_params, "a_to_b", a), self.translate(g_params, "b_to_a", b)
    identity_a = identity_b = None
    if self.identity_weight > 0:  # each generator should leave its own domain's images alone
      identity_a = self.translate(g_params, "b_to_a", a)
      identity_b = self.translate(g_params, "a_to_b", b)
    cycled_a = self.translate(g_params, "b_to_a", fake_b)
    cycled_b = self.translate(g_params, "a_to_b", fake_a)
    total, terms = losses.generator_loss(
        a, b, cycled_a, cycled_b, self.critic(d_params, "a", fake_a),
        self.critic(d_params, "b", fake_b), identity_a, identity_b, self.cycle_weight,
        self.identity_weight)
    terms = {name: jnp.mean(value) for name, value in terms.items()}
    return jnp.mean(total), (terms, (fake_a, fake_b))

  def discriminator_objective(self, d_params, a: jax.Array, b: jax.Array, fake_a: jax.Array,
                              fake_b: jax.Array):
    """Mean loss of D_A and D_B on the real examples and the pool's translations, its terms."""
    real_a, real_b = self.critic(d_params, "a", a), self.critic(d_params, "b", b)
    pooled_a, pooled_b = self.critic(d_params, "a", fake_a), self.critic(d_params, "b", fake_b)
    total, terms = losses.discriminators_loss(real_a, pooled_a, real_b, pooled_b)
    terms = {name: jnp.mean(value) for name, value in terms.items()}
    return jnp.mean(total), {**terms, "d_real_a": jnp.mean(real_a), "d_fake_a": jnp.mean(pooled_a),
                             "d_real_b": jnp.mean(real_b), "d_fake_b": jnp.mean(pooled_b)}

  def pooled(self, model_state, fake_a: jax.Array, fake_b: jax.Array, rng: jax.Array):
    """-> (the updated pools, the translations into A and into B that D_A and D_B train on)."""
    if self.pool_size == 0:
      return model_state, fake_a, fake_b
    key_a, key_b = jax.random.split(rng)
    pool_a, fake_a = pool.query(model_state["pool_a"], fake_a,
                                *pool.draws(key_a, len(fake_a), self.pool_size))
    pool_b, fake_b = pool.query(model_state["pool_b"], fake_b,
                                *pool.draws(key_b, len(fake_b), self.pool_size))
    return {"pool_a": pool_a, "pool_b": pool_b}, fake_a, fake_b

  def update(self, state: TrainState, player: str, grads, optimizer, ema_decay: float):
    """One optimizer step of ``player`` ("generators" or "discriminators") by the core's
    ``apply_gradients``: -> (its new params, opt state, EMA params, {grad_norm, param_norm})."""
    ema = None if state.ema_params is None else state.ema_params.get(player)
    part = TrainState(step=state.step, params=state.params[player],
                      opt_state=state.opt_state[player], ema_params=ema)
    part, norms = apply_gradients(part, grads, optimizer, ema_decay)
    return part.params, part.opt_state, part.ema_params, norms

  # -- the Experiment protocol ------------------------------------------------------------------

  def prepare(self, examples: Examples) -> None:
    """The grid's and ``sample``'s examples: the eval split's first pairs, or (class pairs) its
    first images of class a and of class b (the split holds only the two)."""
    held_out = examples(self.eval_split, HELD_OUT)
    if self.classes:
      a, b = (held_out[self.key][held_out["label"] == label] for label in self.classes)
    else:
      a, b = self.domain_a(held_out), held_out[self.key]
    self.held_out_a, self.held_out_b = jnp.asarray(a), jnp.asarray(b)

  def init(self, rng: jax.Array, example_batch: dict) -> TrainState:
    keys = jax.random.split(rng, 4)
    a, b = self.domain_a(example_batch)[:1], example_batch[self.key][:1]
    g_params = {"a_to_b": self.a_to_b.init(keys[0], a)["params"],
                "b_to_a": self.b_to_a.init(keys[1], b)["params"]}
    d_params = {"a": self.discriminator.init(keys[2], a)["params"],
                "b": self.discriminator.init(keys[3], b)["params"]}
    pools = {}
    if self.pool_size:
      pools = {"pool_a": pool.empty(self.pool_size, a.shape[1:]),
               "pool_b": pool.empty(self.pool_size, b.shape[1:])}
    return TrainState(
        step=jnp.zeros((), jnp.int32),
        params={"generators": g_params, "discriminators": d_params},
        opt_state={"generators": self.g_optimizer.init(g_params),
                   "discriminators": self.d_optimizer.init(d_params)},
        # EMA of the generators only: the discriminators are not used for evaluation or sampling.
        ema_params={"generators": g_params} if self.config.train.ema_decay > 0 else None,
        model_state=pools)

  def train_step(self, state: TrainState, batch: dict, rng: jax.Array):
    half = len(batch[self.key]) // 2
    # Domain A: the first half's edge maps (or its class-a images) only; domain B: the second
    # half's images (of class b) only.
    a, b = self.domain_a(batch)[:half], batch[self.key][half:]
    (g_loss, (g_terms, fakes)), g_grads = jax.value_and_grad(
        self.generator_objective, has_aux=True)(state.params["generators"],
                                                state.params["discriminators"], a, b)
    g_params, g_opt_state, g_ema, g_norms = self.update(
        state, "generators", g_grads, self.g_optimizer, self.config.train.ema_decay)
    model_state, fake_a, fake_b = self.pooled(state.model_state, *fakes, rng)
    (d_loss, d_terms), d_grads = jax.value_and_grad(self.discriminator_objective, has_aux=True)(
        state.params["discriminators"], a, b, fake_a, fake_b)
    d_params, d_opt_state, _, d_norms = self.update(state, "discriminators", d_grads,
                                                    self.d_optimizer, 0.0)
    new_state = state.replace(
        step=state.step + 1,
        params={"generators": g_params, "discriminators": d_params},
        opt_state={"generators": g_opt_state, "discriminators": d_opt_state},
        ema_params=None if g_ema is None else {"generators": g_ema},
        model_state=model_state)
    metrics = {"loss": g_loss, **g_terms, "d_loss": d_loss, **d_terms}
    metrics.update({f"g_{name}": value for name, value in g_norms.items()})
    metrics.update({f"d_{name}": value for name, value in d_norms.items()})
    return new_state, metrics

  def translations(self, state: TrainState, a: jax.Array, b: jax.Array):
    """-> (G(a), F(G(a)), G(F(b))) of examples a of domain A and b of B, in the data's range."""
    params = self.generator_params(state)
    fake_b = self.translate(params, "a_to_b", a)
    cycled_b = self.translate(params, "a_to_b", self.translate(params, "b_to_a", b))
    return fake_b, self.translate(params, "b_to_a", fake_b), cycled_b

  def own_cycles(self, state: TrainState, batch: dict) -> Dict[str, jax.Array]:
    """Class pairs, per example x: its ``translation`` T(x) out of its own class and the
    ``image`` x ([B, *shape] in [0, 1]), with (T, T') = (G, F) for class a and (F, G) for class b,
    the error of its cycle, ``cycle`` = |T'(T(x)) - x| (the loss's term), and ``cycle_psnr``, the
    cycle's PSNR in dB (pixels in [0, 1])."""
    params = self.generator_params(state)
    x = batch[self.key]
    in_a = (batch["label"] == self.classes[0])[:, None, None, None]
    translated = jnp.where(in_a, self.translate(params, "a_to_b", x),
                           self.translate(params, "b_to_a", x))
    cycled = jnp.where(in_a, self.translate(params, "b_to_a", translated),
                       self.translate(params, "a_to_b", translated))
    return {"translation": self.to_unit(translated), "image": self.to_unit(x),
            "cycle": losses.l1_distance(cycled, x),
            "cycle_psnr": ssim_lib.psnr(self.to_unit(cycled), self.to_unit(x))}

  def eval_step(self, state: TrainState, batch: dict, rng: jax.Array) -> Dict[str, jax.Array]:
    """Per example: ``l1``, the mean |G(a) - b| per pixel against the true image b (the data's
    scale), ``psnr`` in dB (pixels in [0, 1]), and the cycle errors ``cycle_a`` = |F(G(a)) - a|,
    ``cycle_b`` = |G(F(b)) - b| (the loss's terms). Class pairs: ``own_cycles``' ``cycle`` and
    ``cycle_psnr``."""
    if self.classes:
      values = self.own_cycles(state, batch)
      return {name: values[name] for name in ("cycle", "cycle_psnr")}
    a, b = self.to_domain_a(batch["source"]), batch[self.key]
    fake_b, cycled_a, cycled_b = self.translations(state, a, b)
    return {"l1": losses.l1_distance(fake_b, b),
            "psnr": ssim_lib.psnr(self.to_unit(fake_b), self.to_unit(b)),
            "cycle_a": losses.l1_distance(cycled_a, a),
            "cycle_b": losses.l1_distance(cycled_b, b)}

  def evaluate_step(self, state: TrainState, batch: dict, rng: jax.Array) -> Dict[str, jax.Array]:
    """``eval_step``'s values, ``ssim`` (pixels in [0, 1]; images of at least SSIM's window, so
    not 8x8 digits) and the ``translation`` G(a) itself ([B, *shape] in [0, 1]), whose features
    ``evaluate`` compares with the split's images. Class pairs: ``own_cycles``, translations
    and images included."""
    if self.classes:
      return self.own_cycles(state, batch)
    values = self.eval_step(state, batch, rng)
    fake_b = self.translate(self.generator_params(state), "a_to_b",
                            self.to_domain_a(batch["source"]))
    values["translation"] = self.to_unit(fake_b)
    if min(self.info.shape[:2]) >= ssim_lib.WINDOW_SIZE:
      values["ssim"] = ssim_lib.ssim(values["translation"], self.to_unit(batch[self.key]))
    return values

  def sample(self, state: TrainState, rng: jax.Array, num: int) -> jax.Array:
    """G's translations of the first ``num`` held-out sources (cycled): [num, *shape]."""
    a = self.held_out_a[jnp.arange(num) % len(self.held_out_a)]
    return self.translate(self.generator_params(state), "a_to_b", a)

  def grid_blocks(self) -> int:
    """Blocks of ``GRID_COLUMNS`` held-out examples in the grid: ``eval.num_samples`` rounded
    down to whole rows, at least one."""
    return max(1, self.config.eval.num_samples // GRID_COLUMNS)

  def sample_grid(self, state: TrainState, rng: jax.Array) -> jax.Array:
    """For each row of held-out examples, four rows: sources a, G(a), F(G(a)), true images; class
    pairs six: a, G(a), F(G(a)), b, F(b), G(F(b))."""
    num = self.grid_blocks() * GRID_COLUMNS
    a, b = self.held_out_a[:num], self.held_out_b[:num]
    fake_b, cycled_a, cycled_b = self.translations(state, a, b)
    shown = (a, fake_b, cycled_a, b)
    if self.classes:
      fake_a = self.translate(self.generator_params(state), "b_to_a", b)
      shown = (a, fake_b, cycled_a, b, fake_a, cycled_b)
    # Domain A's single channel shown in the image's channels.
    rows = [jnp.broadcast_to(x, b.shape).reshape(-1, GRID_COLUMNS, *self.info.shape)
            for x in shown]
    return jnp.stack(rows, axis=1).reshape(-1, *self.info.shape)

  def grid_rows(self):
    if self.classes:
      a, b = (self.class_name(label) for label in self.classes)
      return ((a, 1), (f"G({a})", 1), (f"F(G({a}))", 1),
              (b, 1), (f"F({b})", 1), (f"G(F({b}))", 1)) * self.grid_blocks()
    source = f"sources ({self.config.data.paired_source})"
    return ((source, 1), ("G(source)", 1), ("F(G(source))", 1),
            ("true images", 1)) * self.grid_blocks()

  def class_name(self, label: int) -> str:
    """What class ``label`` is: the dataset's name for it, else the label."""
    return self.info.class_names[label] if self.info.class_names else str(label)

  def evaluate(self, state: TrainState, results: Dict[str, np.ndarray], sampler: Sampler,
               rng: jax.Array) -> Dict[str, float]:
    """The split's mean ``l1``, ``psnr``, ``ssim`` (where measured), ``cycle_a`` and
    ``cycle_b``, and ``image_sample_metrics`` of its translations G(a) in the features of
    ``eval.fid_extractor`` ("" skips them) against the split's images: FID, KID, precision /
    recall, class coverage and ``label_accuracy``, the classifier's agreement with the true
    image's class.

    Class pairs, on the split's images of the two classes: per domain d the means of its own
    cycles, ``cycle_d`` and ``cycle_psnr_d``; per direction (``ab``: G on class a, ``ba``: F on
    class b) ``evaluation.class_translation_metrics``: ``target_accuracy``, the classifier's
    share of the translations in the target class, and FID / KID against the target class's
    images."""
    if not self.classes:
      return evaluation.translation_metrics(
          results, ("l1", "psnr", "ssim", "cycle_a", "cycle_b"), self.config.data.name,
          self.config.eval, self.eval_split)
    rows = {domain: results["label"] == label for domain, label in zip("ab", self.classes)}
    metrics = {f"{name}_{domain}": float(np.mean(results[name][in_domain]))
               for domain, in_domain in rows.items() for name in ("cycle", "cycle_psnr")}
    directions = {"ab": (results["translation"][rows["a"]], results["image"][rows["b"]],
                         self.classes[1]),
                  "ba": (results["translation"][rows["b"]], results["image"][rows["a"]],
                         self.classes[0])}
    metrics.update(evaluation.class_translation_metrics(directions, self.config.data.name,
                                                        self.config.eval))
    return metrics


def make_experiment(config: ml_collections.ConfigDict) -> CycleGanExperiment:
  return CycleGanExperiment(config)
