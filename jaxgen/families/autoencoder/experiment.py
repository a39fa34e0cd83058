"""The autoencoder family on the shared runner: plain, denoising, sparse and contractive AEs.

Objective per example (all terms optional except the reconstruction):

  L(x) = rec(g(f(C(x))), x) + l1_weight * ||f(x~)||_1 + kl_weight * sum_j KL(rho || rho_hat_j)
         + contractive_weight * ||df(x)/dx||_F^2

with C the denoising corruption (identity when ``loss.noise`` is empty). Autoencoders have no
prior to sample from, so ``sample`` returns reconstructions of held-out images and
``sample_grid`` shows originals, corruptions, reconstructions and latent interpolations.
"""

import math
from typing import Callable, Dict

import jax
import jax.numpy as jnp
import ml_collections
import numpy as np

from jaxgen.core import latents
from jaxgen.core.experiment import Examples, Experiment, Sampler, TrainState, init_train_state
from jaxgen.core.optim import make_optimizer
from jaxgen.errors import ConfigError
from jaxgen.families.autoencoder import losses
from jaxgen.families.autoencoder.model import build_autoencoder
from jaxgen.nn.corruption import NOISE_KINDS, corrupt

HELD_OUT = 256  # Test images kept for reconstructions and interpolation grids.
GRID_COLUMNS = 10


def output_activation(config: ml_collections.ConfigDict, kind: str) -> Callable:
  """Maps decoder logits into the data's range."""
  if kind == "points":
    return lambda logits: logits
  return jnp.tanh if config.data.scale == "-1_1" else jax.nn.sigmoid


class AutoencoderExperiment(Experiment):
  """Implements the Experiment protocol (jaxgen.core.experiment) for autoencoders."""
  grid_columns = GRID_COLUMNS

  def __init__(self, config: ml_collections.ConfigDict):
    super().__init__(config)
    self.model = build_autoencoder(config.model, self.info.shape)
    self.optimizer = make_optimizer(config.optimizer, config.train.num_steps)
    self.reconstruction_loss = losses.LOSSES.get(config.loss.name)
    self.activation = output_activation(config, self.info.kind)
    c = config.loss
    if c.noise not in NOISE_KINDS:
      raise ConfigError(f"loss.noise {c.noise!r} is unknown; valid: "
                        f"{', '.join(repr(k) for k in NOISE_KINDS)}")
    if c.kl_weight > 0 and config.model.code_activation != "sigmoid":
      raise ConfigError("loss.kl_weight > 0 needs codes in (0, 1): set model.code_activation='sigmoid'")
    if config.loss.name == "bce" and (self.info.kind != "image" or config.data.scale != "0_1"):
      raise ConfigError("loss.name='bce' needs image data in [0, 1] (data.scale='0_1')")

  def prepare(self, examples: Examples) -> None:
    """Keeps ``HELD_OUT`` test images for ``sample`` and the grids."""
    self.held_out = jnp.asarray(examples(self.eval_split, HELD_OUT)[self.key])

  # -- the model as functions of params --------------------------------------------------------

  def encode(self, params, x: jax.Array) -> jax.Array:
    return self.model.apply({"params": params}, x, method=self.model.encode)

  def reconstruct(self, params, x: jax.Array) -> jax.Array:
    _, logits = self.model.apply({"params": params}, x)
    return self.activation(logits)

  def interpolate(self, params, x_a: jax.Array, x_b: jax.Array, num_steps: int) -> jax.Array:
    """Decodes ``(1 - t) f(x_a[i]) + t f(x_b[i])`` for t evenly in [0, 1].
    x_a, x_b: [P, *shape] -> [P * num_steps, *shape], pair by pair."""
    path = latents.encoded_paths(lambda x: self.encode(params, x), x_a, x_b, num_steps)
    return self.activation(self.model.apply({"params": params}, path, method=self.model.decode))

  def objective(self, params, x: jax.Array, rng: jax.Array) -> tuple[jax.Array, Dict[str, jax.Array]]:
    """Per-example loss ``[B]`` and its terms ``{name: [B]}``."""
    c = self.config.loss
    corrupted = corrupt(x, rng, c.noise, c.noise_level)
    codes, logits = self.model.apply({"params": params}, corrupted)
    terms = {"reconstruction": self.reconstruction_loss(logits, x, self.activation)}
    total = terms["reconstruction"]
    if c.l1_weight > 0:
      terms["l1_sparsity"] = losses.l1_sparsity(codes)
      total = total + c.l1_weight * terms["l1_sparsity"]
    if c.kl_weight > 0:
      terms["kl_sparsity"] = losses.kl_sparsity(codes, c.kl_target_rate)
      total = total + c.kl_weight * terms["kl_sparsity"]
    if c.contractive_weight > 0:
      terms["contractive"] = losses.contractive_penalty(lambda v: self.encode(params, v), x)
      total = total + c.contractive_weight * terms["contractive"]
    return total, terms

  # -- the Experiment protocol -----------------------------------------------------------------

  def init(self, rng: jax.Array, example_batch: dict) -> TrainState:
    params = self.model.init(rng, example_batch[self.key])["params"]
    return init_train_state(params, self.optimizer, self.config.train.ema_decay)

  def loss(self, params, model_state, batch: dict, rng: jax.Array, step: jax.Array):
    return self.objective(params, batch[self.key], rng)

  def eval_step(self, state: TrainState, batch: dict, rng: jax.Array) -> Dict[str, jax.Array]:
    """Per-example ``loss``, ``recon_mse`` (per dimension), ``recon_bce``, ``denoise_mse``, the
    mean code ``code_mean`` (the firing rate of sigmoid codes) and ``jacobian_frobenius_sq``."""
    x = batch[self.key]
    params = state.eval_params
    loss, _ = self.objective(params, x, rng)
    codes, logits = self.model.apply({"params": params}, x)
    dims = math.prod(self.info.shape)
    metrics = {"loss": loss,
               "recon_mse": losses.mse(logits, x, self.activation) / dims,
               "code_mean": jnp.mean(codes, axis=-1),
               "jacobian_frobenius_sq": losses.contractive_penalty(lambda v: self.encode(params, v), x)}
    if self.info.kind == "image" and self.config.data.scale == "0_1":
      metrics["recon_bce"] = losses.bce(logits, x, self.activation) / dims
    c = self.config.loss
    if c.noise:
      noisy = corrupt(x, rng, c.noise, c.noise_level)
      metrics["denoise_mse"] = jnp.mean(
          jnp.square(self.reconstruct(params, noisy) - x).reshape(x.shape[0], -1), axis=1)
    return metrics

  def sample(self, state: TrainState, rng: jax.Array, num: int) -> jax.Array:
    """Reconstructions of ``num`` held-out test images drawn at random: [num, *shape]."""
    index = jax.random.randint(rng, (num,), 0, self.held_out.shape[0])
    return self.reconstruct(state.eval_params, self.held_out[index])

  def sample_grid(self, state: TrainState, rng: jax.Array) -> jax.Array:
    """Rows: originals, (corrupted,) reconstructions, then 4 latent interpolations."""
    params = state.eval_params
    originals = self.held_out[:GRID_COLUMNS]
    rows = [originals]
    c = self.config.loss
    if c.noise:
      originals = corrupt(originals, rng, c.noise, c.noise_level)
      rows.append(originals)
    rows.append(self.reconstruct(params, originals))
    rows.append(self.interpolate(params, *latents.pair_ends(self.held_out, 4, GRID_COLUMNS),
                                 GRID_COLUMNS))
    return jnp.concatenate(rows)

  def grid_rows(self):
    corrupted = (("corrupted", 1),) if self.config.loss.noise else ()
    return (("originals", 1), *corrupted, ("reconstructions", 1), ("interpolations", 4))

  def evaluate(self, state: TrainState, values: Dict[str, np.ndarray], sampler: Sampler,
               rng: jax.Array) -> Dict[str, float]:
    """Test-split means of ``eval_step``'s metrics and ``denoise_psnr``."""
    metrics = {name: float(np.mean(values[name]))
               for name in ("loss", "recon_mse", "recon_bce", "code_mean", "jacobian_frobenius_sq")
               if name in values}
    if "denoise_mse" in values:
      peak = 2.0 if self.config.data.scale == "-1_1" else 1.0
      metrics["denoise_psnr"] = float(10.0 * np.log10(peak ** 2 / np.mean(values["denoise_mse"])))
    metrics["num_test_examples"] = int(values["recon_mse"].shape[0])
    return metrics

  def anomaly_score(self, results: Dict[str, np.ndarray]) -> np.ndarray:
    """The reconstruction error."""
    return results["recon_mse"]


def make_experiment(config: ml_collections.ConfigDict) -> AutoencoderExperiment:
  return AutoencoderExperiment(config)
