"""The diffusion family on the shared runner: DDPM (Ho et al. 2020) with the improvements of
Nichol & Dhariwal 2021, DDIM sampling (Song et al. 2021) and classifier-free guidance
(Ho & Salimans 2022).

Config groups: ``diffusion`` (``schedule`` by name, T = ``num_timesteps``, ``parameterisation``
epsilon | x0 | v, ``variance`` small | large | learned), ``model`` (``unet`` or ``mlp``,
``class_conditional`` with ``label_dropout``), ``loss`` (``losses.LOSSES``: simple, vlb, hybrid;
``weighting``), ``sample`` (``sampler`` ancestral | ddim, ``num_steps``, ``eta``,
``guidance_scale``, ``clip_denoised``, ``timestep_spacing`` of DDIM's subsequence: leading |
trailing | linspace as diffusers names them).

``evaluate_step`` adds to ``eval_step``'s values the full T-term bound on each test image
(``bits_per_dim`` with its decoder and prior terms, with ``eval.bits_per_dim``) and, with
``eval.ode_likelihood``, the probability-flow ODE's ``ode_bits_per_dim``; ``evaluate``
reports their means and, for images, the ``jaxgen.core.evaluation`` image metrics of the
configured sampler and ``fid_ddim<N>_eta<e>`` for N in ``eval.fid_vs_steps`` and e in
``eval.fid_vs_steps_etas`` (and ``fid_ancestral<T>``); for points, mode coverage and MMD.
``report`` saves the FID-vs-steps table (``fid_vs_steps.json`` / ``.md``) and plot
(``fid_vs_steps.png``) in the workdir.
"""

import math
import os
from typing import Dict, Optional

import jax
import jax.numpy as jnp
import ml_collections
import numpy as np

from jaxgen.core import evaluation, precision, progress
from jaxgen.core import logging as logging_lib
from jaxgen.core.experiment import Experiment, Sampler, TrainState, init_train_state
from jaxgen.core.optim import make_optimizer
from jaxgen.errors import ConfigError
from jaxgen.families.diffusion import likelihood, losses, samplers
from jaxgen.nn.denoisers import DENOISERS
from jaxgen.families.diffusion.schedules import make_schedule
from jaxgen.nn.unet import drop_labels

SAMPLERS = ("ancestral", "ddim")
FID_VS_STEPS = "fid_vs_steps"  # file name (json, md, png) of the table in the workdir


class DiffusionExperiment(Experiment):
  """Implements the Experiment protocol (jaxgen.core.experiment) for diffusion models."""
  anomaly_score_is_nll = True  # anomaly_score: nats, so images get the complexity-corrected AUROC
  compute_dtypes = ("float32", "bfloat16")
  uses_unlabelled = True  # label -1 trains the unconditional half (nn.unet.drop_labels)

  def __init__(self, config: ml_collections.ConfigDict):
    super().__init__(config)
    self.images = self.info.kind == "image"
    self.num_levels = 2 if config.data.binarize else self.info.num_levels
    d = config.diffusion
    self.schedule = make_schedule(d.schedule, d.num_timesteps)
    self.parameterisation, self.variance = d.parameterisation, d.variance
    losses.PARAMETERISATIONS.get(self.parameterisation)  # a wrong name fails here, listing the valid
    losses.WEIGHTINGS.get(config.loss.weighting)
    self.objective = losses.LOSSES.get(config.loss.name)
    self.num_classes = self.info.num_classes if config.model.class_conditional else None
    self.grid_columns = self.num_classes  # conditional grids show one class per column
    # A workdir written before the field existed sampled with what is now "leading".
    self.timestep_spacing = config.sample.get("timestep_spacing", "leading")
    self._check(config)
    out_channels = losses.output_channels(self.info.shape[-1], self.variance)
    network = DENOISERS.get(config.model.name)
    self.network = network(config.model, out_channels, self.num_classes)
    # The training step's network: the same parameters, computed in train.compute_dtype.
    self.train_network = network(config.model, out_channels, self.num_classes,
                                 precision.compute_dtype(config.train.compute_dtype))
    self.optimizer = make_optimizer(config.optimizer, config.train.num_steps)

  def _check(self, config: ml_collections.ConfigDict) -> None:
    """Config combinations that would train or evaluate a wrong model silently."""
    if self.variance not in losses.VARIANCES:
      raise ConfigError(f"diffusion.variance {self.variance!r} is unknown; valid: "
                        f"{', '.join(losses.VARIANCES)}")
    if config.loss.name == "hybrid" and self.variance != "learned":
      raise ConfigError("loss.name='hybrid' trains learned variances: set diffusion.variance='learned'")
    if config.loss.name == "simple" and self.variance == "learned":
      raise ConfigError("loss.name='simple' does not train the variances of diffusion.variance="
                        "'learned' (use loss 'hybrid' or 'vlb', or a fixed variance)")
    if not self.images and config.loss.name in ("vlb", "hybrid"):
      raise ConfigError(f"loss.name={config.loss.name!r} needs the bound's discrete decoder; "
                        f"{self.info.name!r} is points (use loss 'simple')")
    if self.images and (config.data.scale != "-1_1" or config.data.dequantize):
      raise ConfigError("diffusion models images on the levels scaled to [-1, 1] (the decoder is "
                        "discretized): set data.scale='-1_1' and data.dequantize=False")
    if config.model.class_conditional and not self.info.num_classes:
      raise ConfigError(f"model.class_conditional needs a labelled dataset; {self.info.name!r} "
                        "has no labels")
    s = config.sample
    if self.timestep_spacing not in samplers.TIMESTEP_SPACINGS:
      raise ConfigError(f"sample.timestep_spacing {self.timestep_spacing!r} is unknown; valid: "
                        f"{', '.join(samplers.TIMESTEP_SPACINGS)}")
    if s.sampler not in SAMPLERS:
      raise ConfigError(f"sample.sampler {s.sampler!r} is unknown; valid: {', '.join(SAMPLERS)}")
    T = self.schedule.num_timesteps
    for steps in tuple(config.eval.fid_vs_steps) + ((s.num_steps,) if s.sampler == "ddim" else ()):
      if not 1 <= steps <= T:
        raise ConfigError(f"DDIM takes 1 to diffusion.num_timesteps={T} steps, got {steps}")
    if s.eta < 0 or any(eta < 0 for eta in config.eval.fid_vs_steps_etas):
      raise ConfigError(f"DDIM's eta must be >= 0 (0 deterministic, 1 DDPM's noise); got sample.eta="
                        f"{s.eta}, eval.fid_vs_steps_etas={config.eval.fid_vs_steps_etas}")
    if s.guidance_scale and not self.num_classes:
      raise ConfigError("sample.guidance_scale needs model.class_conditional=True")
    if self.schedule.num_timesteps % config.eval.bound_chunk:
      raise ConfigError(f"eval.bound_chunk {config.eval.bound_chunk} must divide "
                        f"diffusion.num_timesteps {self.schedule.num_timesteps}")
    if config.eval.fid_extractor and not self.images:
      raise ConfigError(f"eval.fid_extractor needs image data; {self.info.name!r} is points (set it to '')")

  # -- the model as functions of params --------------------------------------------------------

  def denoise(self, params, x_t: jax.Array, t: jax.Array, labels: Optional[jax.Array] = None,
              dropout_rng: Optional[jax.Array] = None) -> jax.Array:
    """The network at (x_t, t[, labels]): [B, *shape] -> [B, *shape[:-1], C or 2C]; dropout is
    on when ``dropout_rng`` is given (training), and the network then computes in
    ``train.compute_dtype``."""
    if dropout_rng is None:
      return self.network.apply({"params": params}, x_t, t, labels, train=False)
    return self.train_network.apply({"params": params}, x_t, t, labels, train=True,
                                    rngs={"dropout": dropout_rng})

  def denoiser(self, params, labels: Optional[jax.Array]) -> samplers.Denoiser:
    """``(x_t, t) -> output`` for the samplers, with guidance ``sample.guidance_scale``."""
    if labels is None:
      return lambda x, t: self.denoise(params, x, t)
    return samplers.guided(lambda x, t, y: self.denoise(params, x, t, y), labels, self.num_classes,
                           self.config.sample.guidance_scale, self.variance)

  def loss_inputs(self, output: jax.Array, x0, x_t, t, noise) -> losses.LossInputs:
    return losses.LossInputs(output=output, x0=x0, x_t=x_t, t=t, noise=noise, schedule=self.schedule,
                             parameterisation=self.parameterisation, variance=self.variance,
                             num_levels=self.num_levels)

  def noised(self, batch: dict, rng: jax.Array, label_dropout: float):
    """(x_0, t ~ U{0..T-1}, eps, x_t, labels) of a batch; each label becomes the null label with
    probability ``label_dropout`` (classifier-free guidance training, Ho & Salimans Alg. 1)."""
    x0 = batch[self.key]
    t_key, noise_key, label_key = jax.random.split(rng, 3)
    t = jax.random.randint(t_key, x0.shape[:1], 0, self.schedule.num_timesteps)
    noise = jax.random.normal(noise_key, x0.shape)
    labels = None
    if self.num_classes:
      labels = drop_labels(label_key, batch["label"], label_dropout, self.num_classes)
    return x0, t, noise, self.schedule.q_sample(x0, t, noise), labels

  # -- the Experiment protocol -----------------------------------------------------------------

  def init(self, rng: jax.Array, example_batch: dict) -> TrainState:
    x = example_batch[self.key]
    t = jnp.zeros(x.shape[:1], jnp.int32)
    labels = jnp.zeros(x.shape[:1], jnp.int32) if self.num_classes else None
    params = self.network.init(rng, x, t, labels)["params"]
    return init_train_state(params, self.optimizer, self.config.train.ema_decay)

  def loss(self, params, model_state, batch: dict, rng: jax.Array, step: jax.Array):
    """Per-example ``loss.name`` at a uniform t, the network in ``train.compute_dtype`` with
    dropout, each label dropped with probability ``model.label_dropout``."""
    noise_key, dropout_key = jax.random.split(rng)
    x0, t, noise, x_t, labels = self.noised(batch, noise_key, self.config.model.label_dropout)
    output = self.denoise(params, x_t, t, labels, dropout_key)
    return self.objective(self.loss_inputs(output, x0, x_t, t, noise), self.config.loss)

  def eval_step(self, state: TrainState, batch: dict, rng: jax.Array) -> Dict[str, jax.Array]:
    """Per-example ``loss`` (and its terms) at one uniform t, and ``bound_estimate`` (images): an
    unbiased estimate of the bound in bits/dim, L_0 + T L_t [t > 0] + L_T. The decoder's term L_0
    is computed for every image (a second network call): it is the bound's largest, and T L_0 at
    the rare draws of t = 0 would dominate the estimate's spread."""
    x0, t, noise, x_t, labels = self.noised(batch, rng, 0.0)
    inputs = self.loss_inputs(self.denoise(state.eval_params, x_t, t, labels), x0, x_t, t, noise)
    total, aux = self.objective(inputs, self.config.loss)
    metrics = {"loss": total, **aux}
    if self.images:
      decoder = self.decoder_term(state.eval_params, x0, labels, jax.random.fold_in(rng, 1))
      metrics["bound_estimate"] = (decoder + jnp.where(t > 0, inputs.vlb_estimate(), 0.0)
                                   + losses.prior_term(self.schedule, x0))
    return metrics

  def decoder_term(self, params, x0: jax.Array, labels: Optional[jax.Array],
                   rng: jax.Array) -> jax.Array:
    """L_0 = -log p(x_0 | x_1) in bits/dim, [B], for x_1 ~ q(x_1 | x_0) drawn with ``rng``."""
    return likelihood.bound_term_at(
        lambda x, t: self.denoise(params, x, t, labels), self.schedule, self.parameterisation,
        self.variance, x0, jnp.zeros(x0.shape[:1], jnp.int32), jax.random.normal(rng, x0.shape),
        self.num_levels)

  def evaluate_step(self, state: TrainState, batch: dict, rng: jax.Array) -> Dict[str, jax.Array]:
    """``eval_step``'s values and, for images with ``eval.bits_per_dim``, the full T-term bound
    (``likelihood.bound_terms``) in bits/dim: ``bits_per_dim`` with its decoder term L_0
    (``bits_per_dim_decoder``) and prior term L_T (``bits_per_dim_prior``)."""
    step_key, bound_key = jax.random.split(rng)
    metrics = self.eval_step(state, batch, step_key)
    if self.images and self.config.eval.bits_per_dim:
      x0 = batch[self.key]
      # A conditional model is scored with the null label: a bound on log p(x), not log p(x|y).
      labels = jnp.full(x0.shape[:1], self.num_classes) if self.num_classes else None
      bound = likelihood.bound_terms(lambda x, t: self.denoise(state.eval_params, x, t, labels),
                                     self.schedule, self.parameterisation, self.variance, x0,
                                     bound_key, self.num_levels, self.config.eval.bound_chunk)
      metrics.update(bits_per_dim=bound["total"], bits_per_dim_decoder=bound["terms"][:, 0],
                     bits_per_dim_prior=bound["prior"])
    if self.images and self.config.eval.get("ode_likelihood", False):
      metrics.update(self.ode_bits_per_dim(state, batch[self.key], jax.random.fold_in(bound_key, 1)))
    return metrics

  def ode_bits_per_dim(self, state: TrainState, x0: jax.Array, rng: jax.Array) -> Dict[str, jax.Array]:
    """``ode_bits_per_dim``: the probability-flow ODE's likelihood (``likelihood.ode_log_likelihood``)
    of x0 dequantized uniformly within its level's bin of width 2 / (L - 1), plus log L-bins'
    volume: an upper bound on the discrete bits/dim like ``bits_per_dim``; ``ode_nfe``."""
    e = self.config.eval
    noise_key, probe_key = jax.random.split(rng)
    width = 2.0 / (self.num_levels - 1)
    x = x0 + (jax.random.uniform(noise_key, x0.shape) - 0.5) * width
    labels = jnp.full(x0.shape[:1], self.num_classes) if self.num_classes else None
    log_p, nfe = likelihood.ode_log_likelihood(
        lambda x_t, index: self.denoise(state.eval_params, x_t, index, labels), self.schedule,
        self.parameterisation, self.variance, x, probe_key, e.ode_t_min, e.ode_rtol, e.ode_atol,
        progress.SolveStatus("probability-flow ODE likelihood"))
    num_dims = math.prod(x0.shape[1:])
    bits = -(log_p + num_dims * math.log(width)) / (num_dims * math.log(2.0))
    return {"ode_bits_per_dim": bits, "ode_nfe": jnp.full(x0.shape[:1], nfe, jnp.float32)}

  def sample(self, state: TrainState, rng: jax.Array, num: int, *, sampler: Optional[str] = None,
             num_steps: Optional[int] = None, eta: Optional[float] = None) -> jax.Array:
    """``num`` samples in data space by ``sampler`` (ancestral: all T steps; ddim: ``num_steps``
    with ``eta``), each option by default ``config.sample``'s; conditional models cycle the
    labels through the classes. -> [num, *shape]."""
    s = self.config.sample
    sampler, num_steps = sampler or s.sampler, num_steps or s.num_steps
    eta = s.eta if eta is None else eta
    initial_key, steps_key = jax.random.split(rng)
    x_T = jax.random.normal(initial_key, (num,) + tuple(self.info.shape))
    denoise = self.denoiser(state.eval_params, self.sample_labels(num))
    clip = self.images and s.clip_denoised
    if sampler == "ancestral":
      x = samplers.ancestral(denoise, self.schedule, x_T, steps_key, self.parameterisation,
                             self.variance, clip)
    else:
      x = samplers.ddim(denoise, self.schedule, x_T, steps_key, self.parameterisation, self.variance,
                        num_steps, eta, clip, self.timestep_spacing)
    return jnp.clip(x, -1.0, 1.0) if self.images else x

  def anomaly_score(self, results: Dict[str, np.ndarray]) -> Optional[np.ndarray]:
    """The T-term bound on -log p(x) in nats where ``eval.bits_per_dim`` computed it, else its
    unbiased two-call estimate ``bound_estimate`` (a noisier score); None for points."""
    for name in ("bits_per_dim", "bound_estimate"):
      if name in results:
        return results[name] * np.prod(self.info.shape) * math.log(2)
    return None

  def evaluate(self, state: TrainState, results: Dict[str, np.ndarray], sampler: Sampler,
               rng: jax.Array) -> Dict[str, float]:
    """The test-split means of ``evaluate_step``'s values (``bits_per_dim`` among them; the random
    estimates ``bound_estimate`` and ``ode_bits_per_dim`` with their ``_se``), then
    images: the configured sampler's ``evaluation.image_sample_metrics`` over
    ``eval.num_image_samples`` samples (fid, kid, precision, recall, class coverage,
    label_accuracy when conditional) and ``fid_vs_steps``; points: ``point_sample_metrics`` of
    ``eval.num_mode_samples`` samples (modes_captured, high_quality_frac, mmd2)."""
    metrics = {name: float(np.mean(value)) for name, value in results.items() if name != "label"}
    for name in ("bound_estimate", "ode_bits_per_dim"):
      if name in results:
        metrics[f"{name}_se"] = evaluation.standard_error(results[name])
    sample_key, steps_key = jax.random.split(rng)
    e = self.config.eval
    if not self.images:
      samples = sampler(sample_key, e.num_mode_samples)
      metrics.update(evaluation.point_sample_metrics(samples, self.config.data.name,
                                                      self.eval_split))
    elif e.fid_extractor:
      metrics.update(self.image_metrics(sampler(sample_key, e.num_image_samples)))
      metrics.update(self.fid_vs_steps(sampler, steps_key))
    return metrics

  def fid_vs_steps(self, draw: Sampler, rng: jax.Array) -> Dict[str, float]:
    """``fid_ddim<N>_eta<e>`` for each N of ``eval.fid_vs_steps`` and e of
    ``eval.fid_vs_steps_etas`` and, with ``eval.fid_vs_steps_ancestral``, ``fid_ancestral<T>``,
    each over ``eval.fid_vs_steps_samples`` samples from the same keys (the same x_T and noise:
    common random numbers make the rows comparable)."""
    e = self.config.eval
    metrics = {}
    for sampler, steps, eta in self.fid_vs_steps_rows():
      images = draw(rng, e.fid_vs_steps_samples, sampler=sampler, num_steps=steps, eta=eta)
      metrics[fid_vs_steps_key(sampler, steps, eta)] = self.image_metrics(images)["fid"]
    return metrics

  def fid_vs_steps_rows(self) -> list[tuple[str, int, Optional[float]]]:
    """(sampler, steps, eta) of each FID-vs-steps row: DDIM at every eta and step count, then
    ancestral over all T steps (eta None) with ``eval.fid_vs_steps_ancestral``."""
    e = self.config.eval
    rows = [("ddim", steps, eta) for eta in e.fid_vs_steps_etas for steps in e.fid_vs_steps]
    if e.fid_vs_steps_ancestral:
      rows.append(("ancestral", self.schedule.num_timesteps, None))
    return rows

  def image_metrics(self, samples: np.ndarray) -> Dict[str, float]:
    """Sample metrics of the runner's samples in [-1, 1] (labels cycling through the classes)."""
    return evaluation.drawn_image_metrics(samples, self.config.data.name, self.config.eval,
                                          (-1.0, 1.0), self.num_classes)

  def report(self, metrics: Dict[str, float], workdir: str) -> None:
    """FID against sampling steps from ``evaluate``'s ``fid_ddim<N>_eta<e>`` / ``fid_ancestral<T>``:
    ``fid_vs_steps.json`` and ``.md`` (a table) and ``fid_vs_steps.png`` (a plot) in ``workdir``."""
    e = self.config.eval
    keys = [(row, fid_vs_steps_key(*row)) for row in self.fid_vs_steps_rows()]
    records = [{"sampler": name, "steps": steps, "eta": eta, "fid": metrics[key]}
               for (name, steps, eta), key in keys if key in metrics]
    if not records:
      return
    curves = {f"DDIM, eta={eta:g}": [(r["steps"], r["fid"]) for r in records
                                     if r["sampler"] == "ddim" and r["eta"] == eta]
              for eta in e.fid_vs_steps_etas}
    curves["ancestral"] = [(r["steps"], r["fid"]) for r in records if r["sampler"] == "ancestral"]
    logging_lib.save_table(
        os.path.join(workdir, FID_VS_STEPS),
        {"num_samples": e.fid_vs_steps_samples, "extractor": e.fid_extractor}, records,
        f"FID ({e.fid_extractor} features, {e.fid_vs_steps_samples} samples) against sampling steps",
        ("sampler", "eta", "steps", "FID"),
        lambda r: (r["sampler"], "" if r["eta"] is None else f"{r['eta']:g}", str(r["steps"]),
                   f"{r['fid']:.3f}"),
        curves, "sampling steps", f"FID ({e.fid_extractor} features)")


def fid_vs_steps_key(sampler: str, steps: int, eta: Optional[float]) -> str:
  """The metric name of one FID-vs-steps row: ``fid_ddim50_eta0``, ``fid_ancestral1000``."""
  return f"fid_ancestral{steps}" if sampler == "ancestral" else f"fid_ddim{steps}_eta{eta:g}"


def make_experiment(config: ml_collections.ConfigDict) -> DiffusionExperiment:
  return DiffusionExperiment(config)
