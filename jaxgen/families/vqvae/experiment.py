"""The VQ-VAE (van den Oord et al. 2017) and an autoregressive prior over its code maps on the
shared runner: one run, two stages, the stage read off the step counter.

Stage 1, the first ``model.vqvae_steps`` steps: the VQ-VAE -- a convolutional encoder, the
nearest-code quantizer with its EMA codebook and restarts of dead codes (``quantizer.py``), a
decoder of a discretized logistic over the data's levels -- on ``-log p(x|z_q) + beta *
commitment`` (``losses.py``). Stage 2, the rest of the run: the prior over the frozen encoder's
code maps, a Gated PixelCNN or a Transformer (``prior.name``; class-conditional with
``prior.conditional``), on their NLL. One
``lax.cond`` runs only the stage's networks; each stage has its own optimizer state and schedule
(``staged_optimizer``), so the frozen part gets no update, and stage 2 keeps the codebook where
stage 1 left it. The codebook's EMA statistics live in ``TrainState.model_state``, so a resumed
run continues either stage exactly.

``sample`` draws a code map from the prior position by position in raster order (ancestral, one
loop carrying the network's caches) and decodes it to the mean of p(x|z_q). ``jaxgen eval`` reports both stages:
reconstruction, codebook usage and perplexity of the test split's codes, the bound
``-log p(x|z_q(c)) - log p(c)`` in bits/dim, and the sample metrics of every image family.
"""

import math
from typing import Dict, Optional

import jax
import jax.numpy as jnp
import ml_collections
import numpy as np

from jaxgen import eval as eval_lib
from jaxgen.core import evaluation
from jaxgen.core.experiment import (Examples, Experiment, Sampler, TrainState, apply_gradients,
                                    init_train_state)
from jaxgen.core.optim import staged_optimizer
from jaxgen.errors import ConfigError
from jaxgen.families.vqvae import losses, quantizer
from jaxgen.families.vqvae.model import (PRIORS, VQVAE, PixelCNNPrior, build_prior,
                                          prior_name)
from jaxgen.nn import autoregressive
from jaxgen.nn.discretized_logistic import DiscretizedLogistic

GRID_COLUMNS = 10
OBJECTIVE = "vqvae"  # the family's one objective (``loss.name``): stage 1, then the prior
# Every train step's metrics; the stage that does not run reports its terms as 0.
STAGE_METRICS = ("recon_nll", "commitment", "code_perplexity", "restarted_codes", "prior_nll")


class VQVAEExperiment(Experiment):
  """Implements the Experiment protocol (jaxgen.core.experiment) for the VQ-VAE and its prior."""
  grid_columns = GRID_COLUMNS

  def __init__(self, config: ml_collections.ConfigDict):
    super().__init__(config)
    self._check(config)
    m, p = config.model, config.prior
    self.shape = tuple(self.info.shape)
    self.num_dims = math.prod(self.shape)
    self.value_range = self.info.value_range(config.data.scale)
    num_levels = 2 if config.data.binarize else self.info.num_levels
    self.observation = DiscretizedLogistic(num_levels, self.value_range)
    self.num_classes = self.info.num_classes if p.conditional else None
    self.num_codes = m.num_codes
    factor = 2 ** len(m.features)
    self.code_shape = (self.shape[0] // factor, self.shape[1] // factor)
    self.vqvae_steps = m.vqvae_steps
    self.vqvae = VQVAE(tuple(m.features), m.num_residual, m.code_dim, self.shape[-1],
                       m.min_log_scale)
    self.prior = build_prior(p, m.num_codes, self.code_shape, self.num_classes or 0)
    self.optimizer = staged_optimizer(config.optimizer, m.vqvae_steps, config.train.num_steps,
                                      ("vqvae", "prior"))

  def _check(self, config: ml_collections.ConfigDict) -> None:
    """Config values out of range, and combinations that would train a wrong model silently."""
    m, q, p = config.model, config.quantizer, config.prior
    if self.info.kind != "image":
      raise ConfigError(f"vqvae models images; {self.info.name!r} is {self.info.kind}")
    if config.loss.name != OBJECTIVE:
      raise ConfigError(f"vqvae trains one objective, loss.name={OBJECTIVE!r}; "
                        f"got {config.loss.name!r}")
    if config.data.dequantize:
      raise ConfigError("vqvae's p(x|z_q) is a distribution over the levels; "
                        "set data.dequantize=False")
    if config.train.ema_decay:
      raise ConfigError("the EMA codebook follows the live encoder, not an average of its "
                        "parameters; set train.ema_decay=0")
    if not 0 < m.vqvae_steps < config.train.num_steps:
      raise ConfigError(f"model.vqvae_steps must be in (0, train.num_steps) so that both stages "
                        f"train; got {m.vqvae_steps} of {config.train.num_steps}")
    factor = 2 ** len(m.features)
    if not m.features or self.info.shape[0] % factor or self.info.shape[1] % factor:
      raise ConfigError(f"model.features has {len(m.features)} stride-2 layers, so the image "
                        f"size {tuple(self.info.shape[:2])} must be divisible by {factor} (and "
                        "there must be at least one)")
    if m.num_codes < 2 or m.code_dim < 1 or m.num_residual < 0:
      raise ConfigError(f"expected model.num_codes >= 2, code_dim >= 1 and num_residual >= 0; "
                        f"got {m.num_codes}, {m.code_dim}, {m.num_residual}")
    if q.commitment < 0 or not 0 < q.decay < 1 or q.epsilon <= 0 or q.restart_threshold < 0:
      raise ConfigError(f"expected quantizer.commitment >= 0, 0 < decay < 1, epsilon > 0 and "
                        f"restart_threshold >= 0; got {q.commitment}, {q.decay}, {q.epsilon}, "
                        f"{q.restart_threshold}")
    if p.conditional and not self.info.num_classes:
      raise ConfigError(f"prior.conditional needs labels; {self.info.name!r} has none")
    name = prior_name(p)
    if name not in PRIORS:
      raise ConfigError(f"prior.name {name!r} is unknown; valid: {', '.join(PRIORS)}")
    if p.num_layers < 1 or p.features < 1:
      raise ConfigError(f"expected prior.num_layers >= 1 and prior.features >= 1; got "
                        f"{p.num_layers}, {p.features}")
    if name == "gated_pixelcnn" and (p.kernel_size % 2 == 0 or p.kernel_size < 3):
      raise ConfigError(f"prior.kernel_size must be odd and >= 3; got {p.kernel_size}")
    if name == "transformer" and p.features % p.num_heads:
      raise ConfigError(f"prior.features {p.features} is not a multiple of prior.num_heads "
                        f"{p.num_heads}")
    if config.sample.temperature <= 0:
      raise ConfigError(f"sample.temperature must be > 0, got {config.sample.temperature}")

  def prepare(self, examples: Examples) -> None:
    """Keeps the first ``GRID_COLUMNS`` images of ``eval_split`` for the reconstruction rows."""
    self.held_out = jnp.asarray(examples(self.eval_split, GRID_COLUMNS)[self.key])

  # -- the model as functions of params --------------------------------------------------------

  def codes(self, model_state) -> jax.Array:
    """The codebook [K, D] of the EMA statistics in ``model_state``."""
    return quantizer.codebook(model_state["codebook"], self.config.quantizer.epsilon)

  def encode(self, params, x: jax.Array) -> jax.Array:
    """x: [B, H, W, C] -> z_e: [B, h, w, D]."""
    return self.vqvae.apply({"params": params}, x, method=self.vqvae.encode)

  def decode(self, params, z_q: jax.Array) -> tuple[jax.Array, jax.Array]:
    """z_q: [B, h, w, D] -> (loc, log_scale) of p(x|z_q): [B, H, W, C] each."""
    return self.vqvae.apply({"params": params}, z_q, method=self.vqvae.decode)

  def code_map(self, params, model_state, x: jax.Array) -> jax.Array:
    """The encoder's code map of x: [B, H, W, C] -> [B, h, w] int."""
    return quantizer.quantize(self.encode(params, x), self.codes(model_state))[1]

  def decode_codes(self, params, model_state, code_map: jax.Array) -> jax.Array:
    """Code maps [B, h, w] -> the mean of p(x|z_q) in data space: [B, H, W, C]."""
    return self.observation.mean(*self.decode(params, self.codes(model_state)[code_map]))

  def prior_logits(self, params, code_map: jax.Array, labels: Optional[jax.Array],
                   dropout_rng: Optional[jax.Array] = None) -> jax.Array:
    """[B, h, w] codes -> [B, h, w, K] logits of each code given the earlier ones; with
    ``dropout_rng`` in training mode."""
    train = dropout_rng is not None
    return self.prior.apply({"params": params}, code_map, labels, train,
                            rngs={"dropout": dropout_rng} if train else None)

  def draw_codes(self, params, labels: Optional[jax.Array], rng: jax.Array, num: int) -> jax.Array:
    """``num`` code maps [num, h, w] drawn by the prior in raster order at ``sample.temperature``:
    position t's code from its logits given the codes drawn before it, with key fold_in(rng, t).
    Each step runs only the new position's outputs from the network's caches, not the whole
    network per position."""
    if isinstance(self.prior, PixelCNNPrior):
      return self.draw_codes_pixelcnn(params, labels, rng, num)
    apply = lambda inputs, cache, position: self.prior.apply(
        {"params": params}, inputs, cache, position, labels, method=self.prior.step)
    tokens = autoregressive.draw(apply, self.prior.empty_cache, jnp.zeros((num, 0), jnp.int32),
                                 self.prior.length, self.num_codes, rng,
                                 self.config.sample.temperature)
    return tokens.reshape(num, *self.code_shape)

  def draw_codes_pixelcnn(self, params, labels: Optional[jax.Array], rng: jax.Array,
                          num: int) -> jax.Array:
    """``draw_codes`` for the Gated PixelCNN: each row runs only its vertical-stack work and each
    position only its horizontal stack's (Ramachandran et al. 2017)."""
    height, width = self.code_shape
    temperature = self.config.sample.temperature
    apply = lambda *args, method: self.prior.apply({"params": params}, *args, method=method)
    code_map = jnp.zeros((num, height, width), jnp.int32)
    _, caches = apply(code_map, labels, method=self.prior.forward)

    def fill_row(row, carry):
      code_map, caches = carry
      row_state, caches = apply(code_map, caches, labels, row, method=self.prior.row_step)

      def fill_position(col, carry):
        code_map, caches = carry
        logits, caches = apply(code_map, caches, row_state, labels, row, col,
                               method=self.prior.pixel_step)
        key = jax.random.fold_in(rng, row * width + col)
        code = jax.random.categorical(key, logits / temperature)
        return code_map.at[:, row, col].set(code), caches

      return jax.lax.fori_loop(0, width, fill_position, (code_map, caches))

    return jax.lax.fori_loop(0, height, fill_row, (code_map, caches))[0]

  def vqvae_objective(self, params, statistics: quantizer.Statistics, x: jax.Array,
                      rng: jax.Array):
    """Stage 1's batch-mean loss and (aux, the codebook statistics after the step). Dead codes
    are first restarted at this batch's encoder outputs, so they take part in its quantization;
    the EMA then moves every code towards what it was assigned."""
    q = self.config.quantizer
    z_e = self.encode(params, x)
    vectors = jax.lax.stop_gradient(z_e).reshape(-1, z_e.shape[-1])
    statistics, restarted = quantizer.restart_dead(statistics, vectors, q.restart_threshold, rng)
    z_q, code_map = quantizer.quantize(z_e, quantizer.codebook(statistics, q.epsilon))
    recon_nll = losses.reconstruction_nll(self.observation.log_prob(*self.decode(params, z_q), x))
    commitment = losses.commitment(z_e, z_q)
    aux = {"recon_nll": jnp.mean(recon_nll), "commitment": jnp.mean(commitment),
           "code_perplexity": quantizer.perplexity(code_map, self.num_codes),
           "restarted_codes": restarted.astype(jnp.float32)}
    statistics = quantizer.ema_update(statistics, vectors, code_map.reshape(-1), q.decay)
    return jnp.mean(recon_nll + q.commitment * commitment), (aux, statistics)

  def prior_objective(self, params, code_map: jax.Array, labels: Optional[jax.Array],
                      rng: jax.Array) -> jax.Array:
    """Stage 2's batch-mean ``-log p(c)`` (nats per image), dropout on."""
    return jnp.mean(losses.code_nll(self.prior_logits(params, code_map, labels, rng), code_map))

  def labels_of(self, batch: dict) -> Optional[jax.Array]:
    return batch["label"] if self.num_classes else None

  # -- the Experiment protocol -----------------------------------------------------------------

  def init(self, rng: jax.Array, example_batch: dict) -> TrainState:
    """The networks' parameters, and the codebook seeded at the initial encoder's outputs on the
    example batch (a data-dependent initialisation; restarts re-seed from training batches)."""
    vqvae_key, prior_key, seed_key = jax.random.split(rng, 3)
    x = example_batch[self.key]
    vqvae_params = self.vqvae.init(vqvae_key, x)["params"]
    z_e = self.encode(vqvae_params, x)
    statistics = quantizer.seeded_statistics(z_e.reshape(-1, z_e.shape[-1]), self.num_codes,
                                             seed_key)
    code_map = jnp.zeros((x.shape[0], *self.code_shape), jnp.int32)
    prior_params = self.prior.init(prior_key, code_map, self.labels_of(example_batch))["params"]
    return init_train_state({"vqvae": vqvae_params, "prior": prior_params}, self.optimizer,
                            self.config.train.ema_decay, model_state={"codebook": statistics})

  def train_step(self, state: TrainState, batch: dict, rng: jax.Array):
    """One update of the stage of ``state.step``: the VQ-VAE's (and the codebook's EMA) before
    ``model.vqvae_steps``, the prior's on the frozen encoder's code maps after."""
    x, labels = batch[self.key], self.labels_of(batch)
    restart_key, dropout_key = jax.random.split(rng)
    params = state.params
    zeros = lambda tree: jax.tree.map(jnp.zeros_like, tree)
    no_terms = {name: jnp.zeros((), jnp.float32) for name in STAGE_METRICS}

    def vqvae_stage():
      (loss, (aux, statistics)), grads = jax.value_and_grad(self.vqvae_objective, has_aux=True)(
          params["vqvae"], state.model_state["codebook"], x, restart_key)
      return ({"vqvae": grads, "prior": zeros(params["prior"])}, {"codebook": statistics},
              {**no_terms, **aux, "loss": loss})

    def prior_stage():
      code_map = self.code_map(params["vqvae"], state.model_state, x)
      loss, grads = jax.value_and_grad(self.prior_objective)(params["prior"], code_map, labels,
                                                             dropout_key)
      return ({"vqvae": zeros(params["vqvae"]), "prior": grads}, state.model_state,
              {**no_terms, "prior_nll": loss, "loss": loss})

    grads, model_state, metrics = jax.lax.cond(state.step < self.vqvae_steps, vqvae_stage,
                                               prior_stage)
    state, norms = apply_gradients(state.replace(model_state=model_state), grads, self.optimizer,
                                   self.config.train.ema_decay)
    return state, {**metrics, **norms}

  def eval_step(self, state: TrainState, batch: dict, rng: jax.Array) -> Dict[str, jax.Array]:
    """Per example: ``recon_nll`` = -log p(x|z_q(c)) and ``prior_nll`` = -log p(c) (nats) of the
    encoder's code map c, their sum ``nll_bound`` and its ``bits_per_dim`` (also ``loss``);
    ``recon_mse`` of the decoder mean (data scale) and the ``commitment``."""
    return self._terms(state, batch)[0]

  def evaluate_step(self, state: TrainState, batch: dict, rng: jax.Array) -> Dict[str, jax.Array]:
    """``eval_step``'s values and the ``codes`` [B, h * w] (usage and perplexity)."""
    terms, code_map = self._terms(state, batch)
    return {**terms, "codes": code_map.reshape(code_map.shape[0], -1)}

  def _terms(self, state: TrainState, batch: dict):
    params, x = state.eval_params, batch[self.key]
    z_e = self.encode(params["vqvae"], x)
    z_q, code_map = quantizer.quantize(z_e, self.codes(state.model_state))
    loc, log_scale = self.decode(params["vqvae"], z_q)
    recon_nll = losses.reconstruction_nll(self.observation.log_prob(loc, log_scale, x))
    prior_nll = losses.code_nll(self.prior_logits(params["prior"], code_map, self.labels_of(batch)),
                                code_map)
    bits_per_dim = eval_lib.nats_to_bits_per_dim(recon_nll + prior_nll, self.num_dims)
    error = jnp.square(self.observation.mean(loc, log_scale) - x)
    return {"loss": bits_per_dim, "bits_per_dim": bits_per_dim, "nll_bound": recon_nll + prior_nll,
            "recon_nll": recon_nll, "prior_nll": prior_nll,
            "recon_mse": jnp.mean(error, axis=(1, 2, 3)),
            "commitment": losses.commitment(z_e, z_q)}, code_map

  def sample(self, state: TrainState, rng: jax.Array, num: int) -> jax.Array:
    """``num`` images in data space [num, H, W, C]: code maps drawn by the prior (labels cycling
    0, 1, ..., K-1 when conditional), decoded to the mean of p(x|z_q)."""
    params = state.eval_params
    code_map = self.draw_codes(params["prior"], self.sample_labels(num), rng, num)
    return self.decode_codes(params["vqvae"], state.model_state, code_map)

  def sample_grid(self, state: TrainState, rng: jax.Array) -> jax.Array:
    """Two rows of samples (conditional: column k is class k), held-out images and their
    reconstructions through the codes."""
    params = state.eval_params["vqvae"]
    code_map = self.code_map(params, state.model_state, self.held_out)
    return jnp.concatenate([self.sample(state, rng, 2 * GRID_COLUMNS), self.held_out,
                            self.decode_codes(params, state.model_state, code_map)])

  def grid_rows(self):
    return (("samples", 2), ("originals", 1), ("reconstructions", 1))

  def evaluate(self, state: TrainState, results: Dict[str, np.ndarray], sampler: Sampler,
               rng: jax.Array) -> Dict[str, float]:
    """Test means of ``eval_step``'s terms (``bits_per_dim`` the bound, ``recon_bits_per_dim`` and
    ``prior_bits_per_dim`` its two parts); ``codebook_usage``, the fraction of the K codes that
    the test split's code maps use, and ``code_perplexity``, exp of their frequencies' entropy;
    with ``eval.fid_extractor`` the sample metrics of ``evaluation.image_sample_metrics``."""
    names = ("bits_per_dim", "nll_bound", "recon_nll", "prior_nll", "recon_mse", "commitment")
    metrics = {name: float(np.mean(results[name])) for name in names}
    for part in ("recon", "prior"):
      metrics[f"{part}_bits_per_dim"] = float(eval_lib.nats_to_bits_per_dim(
          metrics[f"{part}_nll"], self.num_dims))
    codes = results["codes"].astype(np.int32)
    metrics["codebook_usage"] = float(np.unique(codes).size / self.num_codes)
    metrics["code_perplexity"] = float(quantizer.perplexity(jnp.asarray(codes), self.num_codes))
    metrics["num_test_examples"] = len(codes)
    e = self.config.eval
    if e.fid_extractor:
      metrics.update(evaluation.drawn_image_metrics(
          sampler(rng, e.num_image_samples), self.config.data.name, e, self.value_range,
          self.num_classes))
    return metrics


def make_experiment(config: ml_collections.ConfigDict) -> VQVAEExperiment:
  return VQVAEExperiment(config)
