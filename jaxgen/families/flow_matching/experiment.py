"""Flow matching and continuous-time diffusion on the shared runner: conditional flow matching on
the optimal-transport path (Lipman et al. 2023) and rectified flow (Liu et al. 2023), and the
VP / VE SDEs of Song et al. (2021), all as a Gaussian path x_t = alpha_t x_0 + sigma_t eps with
t ~ U[t_min, 1], one network (the DDPM U-Net or the residual MLP of ``jaxgen.nn``) and one MSE.

Config groups: ``path`` (``paths.PATHS``: ot, vp, ve; ``t_min``), ``parameterisation`` (velocity |
epsilon | x0 | v), ``model`` (``unet`` | ``mlp``, ``class_conditional`` with ``label_dropout``),
``loss`` (``losses.LOSSES``, ``weighting``), ``sample`` (``samplers.SAMPLERS`` by name,
``num_steps``, ``guidance_scale``, ``max_noise_ratio``, ``snr``, ``rtol`` / ``atol``,
``with_noise`` for reflow's pairs), ``reflow`` (``pairs``, ``time_grid``: training on a coupling,
``reflow.py``).

``evaluate_step`` adds the probability-flow ODE's exact log-likelihood (``eval.likelihood``):
``nll`` in nats for points (exact divergence), ``bits_per_dim`` of the uniformly dequantized
images (Hutchinson's estimator), with ``likelihood_nfe``. ``evaluate`` reports their means, the
standard error of ``bits_per_dim``, then the sample metrics of the configured sampler and the
FID of every (sampler, steps) in ``eval.fid_vs_nfe`` with its NFE; ``report`` writes that
table and plot (``fid_vs_nfe.{json,md,png}``).
"""

import os
from typing import Dict, Optional

import jax
import jax.numpy as jnp
import ml_collections
import numpy as np

from jaxgen import eval as eval_lib
from jaxgen.core import evaluation, precision, progress
from jaxgen.core import logging as logging_lib
from jaxgen.core.experiment import Experiment, Sampler, TrainState, init_train_state
from jaxgen.core.optim import make_optimizer
from jaxgen.errors import ConfigError
from jaxgen.eval.ode_likelihood import normal_log_density, ode_log_likelihood
from jaxgen.families.flow_matching import losses, reflow, samplers
from jaxgen.families.flow_matching.paths import PATHS
from jaxgen.nn.denoisers import DENOISERS
from jaxgen.nn.unet import drop_labels

FID_VS_NFE = "fid_vs_nfe"  # file name (json, md, png) of the table in the workdir
TIME_SCALE = 1000.0  # the networks embed 1000 t, the range of DDPM's timestep indices


def fid_vs_nfe_key(sampler: str, steps: int) -> str:
  """The metric name of one FID-vs-NFE row: ``fid_heun5``, ``fid_dopri5``."""
  return f"fid_{sampler}" if samplers.nfe(sampler, 1) is None else f"fid_{sampler}{steps}"


class FlowMatchingExperiment(Experiment):
  """Implements the Experiment protocol (jaxgen.core.experiment) for flow matching."""
  anomaly_score_is_nll = True
  compute_dtypes = ("float32", "bfloat16")
  uses_unlabelled = True  # label -1 trains the unconditional half (nn.unet.drop_labels)

  def __init__(self, config: ml_collections.ConfigDict):
    super().__init__(config)
    self.images = self.info.kind == "image"
    self._check_path(config.path)
    self.path = PATHS.get(config.path.name)(config.path)
    self.parameterisation = losses.PARAMETERISATIONS.get(config.parameterisation)
    losses.WEIGHTINGS.get(config.loss.weighting)
    self.objective = losses.LOSSES.get(config.loss.name)
    self.num_classes = self.info.num_classes if config.model.class_conditional else None
    self.grid_columns = self.num_classes
    self._check(config)
    network = DENOISERS.get(config.model.name)
    channels = self.info.shape[-1]
    self.network = network(config.model, channels, self.num_classes)
    self.train_network = network(config.model, channels, self.num_classes,
                                 precision.compute_dtype(config.train.compute_dtype))
    self.optimizer = make_optimizer(config.optimizer, config.train.num_steps)
    self.pairs: Optional[reflow.Pairs] = None
    self.time_grid = config.reflow.time_grid if config.get("reflow") else 0

  @staticmethod
  def _check_path(c: ml_collections.ConfigDict) -> None:
    if not 0.0 <= c.t_min < 1.0:
      raise ConfigError(f"path.t_min must be in [0, 1), got {c.t_min}")
    if c.name == "ve" and not 0 < c.sigma_min < c.sigma_max:
      raise ConfigError(f"the ve path needs 0 < path.sigma_min < path.sigma_max, got "
                        f"{c.sigma_min}, {c.sigma_max}")
    if c.name == "vp" and (c.t_min <= 0 or c.beta_min <= 0 or c.beta_max <= c.beta_min):
      raise ConfigError("the vp path needs path.t_min > 0 (sigma vanishes at 0) and "
                        f"0 < beta_min < beta_max; got t_min {c.t_min}, betas {c.beta_min}, {c.beta_max}")

  def _check(self, config: ml_collections.ConfigDict) -> None:
    """Config combinations that would train or sample a wrong model silently."""
    s, e = config.sample, config.eval
    for sampler, steps in ((s.sampler, s.num_steps), *e.fid_vs_nfe):
      spec = samplers.SAMPLERS.get(sampler)
      if spec.stochastic and not self.path.has_sde:
        raise ConfigError(f"sampler {sampler!r} integrates the reverse SDE, which the "
                          f"{config.path.name!r} path lacks (alpha_1 = 0): use an ODE sampler "
                          "(euler, heun, dpmpp_2m, dopri5) or the vp / ve path")
      if spec.nfe is not None and steps < 1:
        raise ConfigError(f"sampler {sampler!r} takes at least 1 step, got {steps}")
    ends = np.asarray([self.path.t_min, 1.0])
    singular = np.abs(np.asarray(self.parameterisation.determinant(self.path, jnp.asarray(ends)))) < 1e-6
    if singular.any():
      raise ConfigError(f"parameterisation {config.parameterisation!r} does not determine x_0 and eps "
                        f"on the {config.path.name!r} path at t = {ends[singular][0]:g} (use 'velocity'"
                        f"{', or raise path.t_min' if singular[0] else ''})")
    if self.images and (config.data.scale != "-1_1" or not config.data.dequantize):
      raise ConfigError("flow matching models images uniformly dequantized in [-1, 1]: set "
                        "data.scale='-1_1' and data.dequantize=True")
    if config.data.binarize:
      raise ConfigError("flow matching models grey levels: set data.binarize=None")
    if config.model.class_conditional and not self.info.num_classes:
      raise ConfigError(f"model.class_conditional needs a labelled dataset; {self.info.name!r} has none")
    if s.guidance_scale and not self.num_classes:
      raise ConfigError("sample.guidance_scale needs model.class_conditional=True")
    if e.fid_extractor and not self.images:
      raise ConfigError(f"eval.fid_extractor needs image data; {self.info.name!r} is points (set it to '')")
    r = config.get("reflow")
    if r and (not isinstance(r.time_grid, int) or r.time_grid < 0):
      raise ConfigError(f"reflow.time_grid must be an int >= 0 (0: t ~ U[t_min, 1]), got {r.time_grid!r}")
    if r and r.pairs and self.num_classes:
      raise ConfigError("reflow.pairs trains an unconditional flow: the pairs carry no labels")
    if r and r.time_grid and not r.pairs:
      raise ConfigError("reflow.time_grid distils a flow on its pairs: set reflow.pairs")
    if s.get("with_noise"):
      start = float(samplers.initial_time(self.path, s.sampler, s.num_steps, s))
      if start != 1.0 or self.num_classes:
        raise ConfigError(f"sample.with_noise writes reflow's pairs (z at t = 1, x): sampler "
                          f"{s.sampler!r} starts at t = {start:g}{' and the model is conditional' if self.num_classes else ''}; "
                          "use an unconditional model and euler or dopri5")

  # -- the model as functions of params --------------------------------------------------------

  def predict(self, params, x_t: jax.Array, t: jax.Array, labels: Optional[jax.Array] = None,
              dropout_rng: Optional[jax.Array] = None) -> jax.Array:
    """The network's prediction at (x_t, t in [0, 1][, labels]): [B, ...]; dropout on and
    ``train.compute_dtype`` when ``dropout_rng`` is given (training)."""
    if dropout_rng is None:
      return self.network.apply({"params": params}, x_t, TIME_SCALE * t, labels, train=False)
    return self.train_network.apply({"params": params}, x_t, TIME_SCALE * t, labels, train=True,
                                    rngs={"dropout": dropout_rng})

  def denoiser(self, params, labels: Optional[jax.Array], guidance_scale: float = 0.0):
    """``(x_t, t) -> (x0_hat, eps_hat)`` for the samplers and the likelihood."""
    if labels is None:
      network = lambda x, t: self.predict(params, x, t)
    else:
      network = samplers.guided(lambda x, t, y: self.predict(params, x, t, y), labels,
                                self.num_classes, guidance_scale)
    return lambda x, t: self.parameterisation.denoised(self.path, x, t, network(x, t))

  def noised(self, batch: dict, rng: jax.Array, label_dropout: float):
    """(x_0, t ~ U[t_min, 1], eps, x_t, labels); each label becomes the null label with
    probability ``label_dropout`` (classifier-free guidance training). With ``reflow.pairs``,
    (x_0, eps) is a drawn pair (the batch gives only its size) and ``reflow.time_grid`` > 0
    draws t from distillation's grid."""
    x0 = batch[self.key]
    t_key, noise_key, label_key = jax.random.split(rng, 3)
    t = reflow.times(t_key, x0.shape[0], self.path.t_min, self.time_grid)
    if self.pairs is None:
      noise = jax.random.normal(noise_key, x0.shape)
    else:
      x0, noise = self.pairs.draw(noise_key, x0.shape[0])
    labels = None
    if self.num_classes:
      labels = drop_labels(label_key, batch["label"], label_dropout, self.num_classes)
    return x0, t, noise, self.path.sample(x0, t, noise), labels

  # -- the Experiment protocol -----------------------------------------------------------------

  def prepare(self, examples) -> None:
    """Loads ``reflow.pairs`` onto the device, where the config names them."""
    r = self.config.get("reflow")
    if r and r.pairs:
      self.pairs = reflow.load_pairs(r.pairs, tuple(self.info.shape))

  def init(self, rng: jax.Array, example_batch: dict) -> TrainState:
    x = example_batch[self.key]
    labels = jnp.zeros(x.shape[:1], jnp.int32) if self.num_classes else None
    params = self.network.init(rng, x, jnp.zeros(x.shape[:1]), labels)["params"]
    return init_train_state(params, self.optimizer, self.config.train.ema_decay)

  def loss(self, params, model_state, batch: dict, rng: jax.Array, step: jax.Array):
    """Per-example ``loss.name`` at t ~ U[t_min, 1], with dropout and label dropout."""
    noise_key, dropout_key = jax.random.split(rng)
    x0, t, noise, x_t, labels = self.noised(batch, noise_key, self.config.model.label_dropout)
    prediction = self.predict(params, x_t, t, labels, dropout_key)
    return self.objective(losses.LossInputs(prediction, x0, t, noise, self.path,
                                            self.config.parameterisation), self.config.loss)

  def eval_step(self, state: TrainState, batch: dict, rng: jax.Array) -> Dict[str, jax.Array]:
    """Per-example ``loss`` (and its terms) at one random time, without label dropout."""
    x0, t, noise, x_t, labels = self.noised(batch, rng, 0.0)
    prediction = self.predict(state.eval_params, x_t, t, labels)
    total, aux = self.objective(losses.LossInputs(prediction, x0, t, noise, self.path,
                                                  self.config.parameterisation), self.config.loss)
    return {"loss": total, **aux}

  def evaluate_step(self, state: TrainState, batch: dict, rng: jax.Array) -> Dict[str, jax.Array]:
    """``eval_step``'s values and, with ``eval.likelihood``, the probability-flow ODE's
    log-likelihood from t_min to 1 (prior N(0, sigma_1^2 I)): ``nll`` (nats) and, for images,
    ``bits_per_dim`` of the dequantized levels; ``likelihood_nfe``. Conditional models are scored
    with the null label: log p(x), not log p(x | y)."""
    step_key, likelihood_key = jax.random.split(rng)
    metrics = self.eval_step(state, batch, step_key)
    e = self.config.eval
    if not e.likelihood:
      return metrics
    x = batch[self.key]
    labels = jnp.full(x.shape[:1], self.num_classes) if self.num_classes else None
    velocity = samplers.probability_flow(self.denoiser(state.eval_params, labels), self.path)
    log_density, nfe = ode_log_likelihood(
        velocity, x, lambda x1: normal_log_density(x1, self.path.sigma(jnp.float32(1.0))),
        self.path.t_min, 1.0, likelihood_key, "hutchinson" if self.images else "exact",
        e.likelihood_rtol, e.likelihood_atol,
        status=progress.SolveStatus("probability-flow ODE likelihood"))
    metrics.update(nll=-log_density, likelihood_nfe=jnp.full(x.shape[:1], nfe, jnp.float32))
    if self.images:
      num_dims = int(np.prod(self.info.shape))
      metrics["bits_per_dim"] = eval_lib.dequantized_bits_per_dim(
          log_density, num_dims, self.info.num_levels, eval_lib.data_range_log_det(num_dims, -1.0, 1.0))
    return metrics

  def sample(self, state: TrainState, rng: jax.Array, num: int, *, sampler: Optional[str] = None,
             num_steps: Optional[int] = None, with_nfe: bool = False):
    """``num`` samples by ``sampler`` over ``num_steps`` (by default ``config.sample``'s), from
    x = sigma_t0 z at the sampler's first time t0; conditional models cycle the labels through
    the classes, guided by ``sample.guidance_scale``. -> [num, *shape], or a dict of
    {"samples": [num, *shape]} with ``"nfe"`` [num] (``with_nfe``) and ``"noise"`` z
    [num, *shape] (``sample.with_noise``: reflow's pairs)."""
    s = self.config.sample
    sampler, num_steps = sampler or s.sampler, num_steps or s.num_steps
    start_key, sampler_key = jax.random.split(rng)
    t0 = samplers.initial_time(self.path, sampler, num_steps, s)
    z = jax.random.normal(start_key, (num,) + tuple(self.info.shape))
    denoise = self.denoiser(state.eval_params, self.sample_labels(num), s.guidance_scale)
    x, nfe = samplers.run(sampler, denoise, self.path, self.path.sigma(t0) * z, sampler_key,
                          num_steps, s)
    if self.images:
      x = jnp.clip(x, -1.0, 1.0)
    extras = {**({"nfe": jnp.full((num,), nfe)} if with_nfe else {}),
              **({"noise": z} if s.get("with_noise") else {})}
    return {"samples": x, **extras} if extras else x

  def anomaly_score(self, results: Dict[str, np.ndarray]) -> Optional[np.ndarray]:
    """The ODE negative log-likelihood in nats, where ``eval.likelihood`` computed it."""
    return results.get("nll")

  def evaluate(self, state: TrainState, results: Dict[str, np.ndarray], sampler: Sampler,
               rng: jax.Array) -> Dict[str, float]:
    """Test means of ``evaluate_step``'s values (``bits_per_dim_se``: the standard error of the
    mean, probes and examples), then points: ``kl_gap`` = nll - the true entropy and the
    ``point_sample_metrics`` of ``eval.num_mode_samples`` samples; images: the sample metrics of
    ``eval.num_image_samples`` samples and ``fid_vs_nfe``."""
    if self.config.sample.get("with_noise"):
      raise ConfigError("sample.with_noise is for `jaxgen sample` (reflow's pairs); evaluate without it")
    metrics = {name: float(np.mean(value)) for name, value in results.items() if name != "label"}
    if "bits_per_dim" in results:
      metrics["bits_per_dim_se"] = evaluation.standard_error(results["bits_per_dim"])
    sample_key, nfe_key = jax.random.split(rng)
    e = self.config.eval
    if not self.images:
      if "nll" in metrics and self.info.entropy is not None:
        metrics["true_entropy"] = float(self.info.entropy)
        metrics["kl_gap"] = metrics["nll"] - float(self.info.entropy)
      metrics.update(evaluation.point_sample_metrics(sampler(sample_key, e.num_mode_samples),
                                                      self.config.data.name, self.eval_split))
    elif e.fid_extractor:
      metrics.update(self.image_metrics(sampler(sample_key, e.num_image_samples)))
      metrics.update(self.fid_vs_nfe(sampler, nfe_key))
    return metrics

  def fid_vs_nfe(self, draw: Sampler, rng: jax.Array) -> Dict[str, float]:
    """``fid_<sampler><steps>`` and ``nfe_<sampler><steps>`` for each (sampler, steps) of
    ``eval.fid_vs_nfe``, over ``eval.fid_vs_nfe_samples`` samples from the same keys."""
    metrics = {}
    for sampler, steps in self.config.eval.fid_vs_nfe:
      drawn = draw(rng, self.config.eval.fid_vs_nfe_samples, sampler=sampler, num_steps=steps,
                   with_nfe=True)
      key = fid_vs_nfe_key(sampler, steps)
      metrics[key] = self.image_metrics(drawn["samples"])["fid"]
      metrics["nfe" + key[3:]] = float(np.mean(drawn["nfe"]))
    return metrics

  def image_metrics(self, samples: np.ndarray) -> Dict[str, float]:
    """Sample metrics of the runner's samples in [-1, 1] (labels cycling through the classes)."""
    return evaluation.drawn_image_metrics(samples, self.config.data.name, self.config.eval,
                                          (-1.0, 1.0), self.num_classes)

  def report(self, metrics: Dict[str, float], workdir: str) -> None:
    """FID against NFE: ``fid_vs_nfe.json``, ``.md`` (a table) and ``.png`` (FID against NFE, one
    line per sampler) in ``workdir``."""
    e = self.config.eval
    records = [{"sampler": sampler, "steps": steps, "nfe": metrics["nfe" + key[3:]],
                "fid": metrics[key]}
               for sampler, steps in e.fid_vs_nfe
               if (key := fid_vs_nfe_key(sampler, steps)) in metrics]
    if not records:
      return
    curves = {name: [(r["nfe"], r["fid"]) for r in records if r["sampler"] == name]
              for name in dict.fromkeys(r["sampler"] for r in records)}
    logging_lib.save_table(
        os.path.join(workdir, FID_VS_NFE),
        {"num_samples": e.fid_vs_nfe_samples, "extractor": e.fid_extractor}, records,
        f"FID ({e.fid_extractor} features, {e.fid_vs_nfe_samples} samples) against network "
        "evaluations", ("sampler", "steps", "NFE", "FID"),
        lambda r: (r["sampler"], str(r["steps"]), f"{r['nfe']:g}", f"{r['fid']:.3f}"),
        curves, "network evaluations (NFE)", f"FID ({e.fid_extractor} features)")


def make_experiment(config: ml_collections.ConfigDict) -> FlowMatchingExperiment:
  return FlowMatchingExperiment(config)
