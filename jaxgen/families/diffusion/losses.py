"""What the denoiser predicts, the reverse process p(x_{t-1} | x_t) it defines, the terms of the
variational bound, and the training losses by name.

A network maps (x_t, t) to ``[B, ..., C]`` (a prediction: epsilon, x_0 or v) or, with learned
variances, ``[B, ..., 2C]`` (the prediction and Nichol & Dhariwal's variance interpolation v).

A loss has the signature ``loss(inputs, c) -> (per_example [B], aux {name: [B]})`` with ``inputs``
a ``LossInputs`` and ``c`` the config's ``loss`` group; register a new one with
``@register_loss("name")`` or name it by dotted path. A weighting of the per-timestep MSE is one
function ``weighting(inputs, c) -> [B]`` registered with ``@register_weighting``.
Bound terms are in bits per dimension (a per-dimension mean over ln 2, as Ho et al. report).
"""

import dataclasses
import math
from typing import Callable

import flax
import jax
import jax.numpy as jnp
import ml_collections
from jax.scipy.special import log_ndtr

from jaxgen.registry import Registry
from jaxgen.families.diffusion.schedules import NoiseSchedule, take

LOSSES = Registry("diffusion loss")
register_loss = LOSSES.register
WEIGHTINGS = Registry("diffusion loss weighting")
register_weighting = WEIGHTINGS.register
PARAMETERISATIONS = Registry("diffusion parameterisation")
VARIANCES = ("small", "large", "learned")
LOG_PROB_FLOOR = 1e-12  # Ho et al. clamp the decoder's bin probabilities here.


# -- parameterisations ---------------------------------------------------------------------------

@dataclasses.dataclass(frozen=True)
class Parameterisation:
  """What the network predicts: ``target`` is its regression target, ``to_x0`` the x_0 it implies.
  ``x0_mse_factor(snr)`` turns the MSE of x_0 into this target's MSE (Kingma et al. 2021: the
  epsilon MSE is SNR times the x_0 MSE), so weightings can be stated once in x_0 terms."""
  target: Callable  # (schedule, x0, t, noise) -> [B, ...]
  to_x0: Callable  # (schedule, x_t, t, prediction) -> [B, ...]
  x0_mse_factor: Callable  # snr [B] -> [B]


PARAMETERISATIONS.register("epsilon")(Parameterisation(
    target=lambda s, x0, t, noise: noise,
    to_x0=lambda s, x_t, t, eps: s.x0_from_eps(x_t, t, eps),
    x0_mse_factor=lambda snr: snr))
PARAMETERISATIONS.register("x0")(Parameterisation(
    target=lambda s, x0, t, noise: x0,
    to_x0=lambda s, x_t, t, x0: x0,
    x0_mse_factor=jnp.ones_like))
PARAMETERISATIONS.register("v")(Parameterisation(
    target=lambda s, x0, t, noise: s.v_target(x0, t, noise),
    to_x0=lambda s, x_t, t, v: s.x0_from_v(x_t, t, v),
    x0_mse_factor=lambda snr: snr + 1.0))


def output_channels(data_channels: int, variance: str) -> int:
  return 2 * data_channels if variance == "learned" else data_channels


def split_output(output: jax.Array, variance: str) -> tuple[jax.Array, jax.Array | None]:
  """[B, ..., C or 2C] -> (prediction [B, ..., C], variance interpolation [B, ..., C] or None)."""
  if variance != "learned":
    return output, None
  return jnp.split(output, 2, axis=-1)


def reverse_log_variance(schedule: NoiseSchedule, t: jax.Array, variance: str,
                         interpolation: jax.Array | None, like: jax.Array) -> jax.Array:
  """log Sigma_t of p(x_{t-1} | x_t): fixed ``small`` (beta~_t) or ``large`` (beta_t) (Ho et al.
  Sec. 3.2), or ``learned``: exp(v log beta_t + (1 - v) log beta~_t) with v = (output + 1) / 2
  (Nichol & Dhariwal eq. 15)."""
  small = take(schedule.posterior_log_variance_clipped, t, like)
  if variance == "small":
    return jnp.broadcast_to(small, like.shape)
  if variance == "large":
    return jnp.broadcast_to(take(schedule.log_large_variance, t, like), like.shape)
  fraction = (interpolation + 1.0) / 2.0
  return fraction * take(jnp.log(schedule.betas), t, like) + (1.0 - fraction) * small


def p_mean_log_variance(schedule: NoiseSchedule, parameterisation: str, variance: str,
                        output: jax.Array, x_t: jax.Array, t: jax.Array, clip_x0: bool = False):
  """p(x_{t-1} | x_t) = N(mu~_t(x_t, x0_hat), Sigma_t) (Ho et al. eqs. 1, 7): the mean, the
  log-variance and x0_hat, clipped to the data range [-1, 1] when ``clip_x0`` (sampling).
  output: [B, ..., C or 2C]; x_t: [B, ..., C]; t: [B]."""
  prediction, interpolation = split_output(output, variance)
  x0 = PARAMETERISATIONS.get(parameterisation).to_x0(schedule, x_t, t, prediction)
  if clip_x0:
    x0 = jnp.clip(x0, -1.0, 1.0)
  mean, _, _ = schedule.q_posterior(x0, x_t, t)
  return mean, reverse_log_variance(schedule, t, variance, interpolation, x_t), x0


# -- terms of the variational bound (Ho et al. eq. 5) --------------------------------------------

def normal_kl(mean1, log_var1, mean2, log_var2) -> jax.Array:
  """KL(N(mean1, exp log_var1) || N(mean2, exp log_var2)) per element, in nats."""
  return 0.5 * (-1.0 + log_var2 - log_var1 + jnp.exp(log_var1 - log_var2)
                + jnp.square(mean1 - mean2) * jnp.exp(-log_var2))


def log_normal_interval(lower: jax.Array, upper: jax.Array) -> jax.Array:
  """log(Phi(upper) - Phi(lower)) for lower < upper, elementwise, stable in both tails: an
  interval above 0 is computed from the upper tail Phi(-lower) - Phi(-upper), one below 0 from the
  lower tail, each as log Phi(a) + log(1 - Phi(b) / Phi(a)) (float32's Phi rounds to 1 beyond
  ~5.6 standard deviations, where ``ndtr(upper) - ndtr(lower)`` is 0)."""
  flip = lower > 0  # by symmetry Phi(u) - Phi(l) = Phi(-l) - Phi(-u)
  high = jnp.where(flip, -lower, upper)
  low = jnp.where(flip, -upper, lower)
  log_ratio = jnp.minimum(log_ndtr(low) - log_ndtr(high), -1e-30)  # log Phi(b) / Phi(a) < 0
  # log(1 - e^r): expm1 near 0, log1p beyond -log 2 (Maechler 2012's log1mexp).
  log1mexp = jnp.where(log_ratio > -math.log(2.0), jnp.log(-jnp.expm1(log_ratio)),
                       jnp.log1p(-jnp.exp(log_ratio)))
  return log_ndtr(high) + log1mexp


def discretized_gaussian_log_likelihood(x: jax.Array, mean: jax.Array, log_scale: jax.Array,
                                        num_levels: int) -> jax.Array:
  """log P(x) per element of data on ``num_levels`` evenly spaced levels in [-1, 1] under
  N(mean, exp(log_scale)^2) discretized to bins of half-width 1 / (levels - 1), the edge bins open
  to -inf / +inf (Ho et al. eq. 13), probabilities clamped at 1e-12. Uses the exact normal CDF
  (their code uses a tanh approximation), the interior bins from the nearer tail
  (``log_normal_interval``)."""
  half_width = 1.0 / (num_levels - 1)
  inverse_scale = jnp.exp(-log_scale)
  upper = inverse_scale * (x - mean + half_width)
  lower = inverse_scale * (x - mean - half_width)
  floor = math.log(LOG_PROB_FLOOR)
  inner = jnp.maximum(log_normal_interval(lower, upper), floor)
  # The CDF of the open edge bins in log space: 1 - Phi(lower) underflows in the far tail.
  bottom = jnp.maximum(log_ndtr(upper), floor)
  top = jnp.maximum(log_ndtr(-lower), floor)
  return jnp.where(x < -1.0 + half_width, bottom, jnp.where(x > 1.0 - half_width, top, inner))


def mean_bits(values: jax.Array) -> jax.Array:
  """[B, ...] nats per element -> [B] bits per dimension."""
  return jnp.mean(values.reshape(values.shape[0], -1), axis=1) / math.log(2.0)


def bound_term(schedule: NoiseSchedule, parameterisation: str, variance: str, output: jax.Array,
               x0: jax.Array, x_t: jax.Array, t: jax.Array, num_levels: int) -> jax.Array:
  """The bound's term at index t in bits/dim, [B]: L_{t} = KL(q(x_{t-1}|x_t,x_0) || p(x_{t-1}|x_t))
  for t > 0, and L_0 = -log p(x_0 | x_1) under the discretized Gaussian decoder for t = 0
  (Ho et al. eq. 5; their ``_vb_terms_bpd``)."""
  true_mean, _, true_log_variance = schedule.q_posterior(x0, x_t, t)
  mean, log_variance, _ = p_mean_log_variance(schedule, parameterisation, variance, output, x_t, t)
  kl = mean_bits(normal_kl(true_mean, true_log_variance, mean, log_variance))
  decoder_nll = -mean_bits(discretized_gaussian_log_likelihood(x0, mean, 0.5 * log_variance, num_levels))
  return jnp.where(t == 0, decoder_nll, kl)


def prior_term(schedule: NoiseSchedule, x0: jax.Array) -> jax.Array:
  """L_T = KL(q(x_T | x_0) || N(0, I)) in bits/dim, [B]: no parameters, ~0 for a good schedule."""
  last = jnp.full(x0.shape[:1], schedule.num_timesteps - 1)
  mean, log_variance = schedule.q_mean_log_variance(x0, last)
  return mean_bits(normal_kl(mean, jnp.broadcast_to(log_variance, x0.shape), 0.0, 0.0))


# -- training losses -----------------------------------------------------------------------------

@flax.struct.dataclass
class LossInputs:
  """One noised batch and the network's output on it. Arrays [B, ...] unless noted."""
  output: jax.Array  # the network at (x_t, t): [B, ..., C or 2C]
  x0: jax.Array
  x_t: jax.Array
  t: jax.Array  # [B] int, uniform over {0, ..., T-1}
  noise: jax.Array
  schedule: NoiseSchedule = flax.struct.field(pytree_node=False)
  parameterisation: str = flax.struct.field(pytree_node=False)
  variance: str = flax.struct.field(pytree_node=False)
  num_levels: int | None = flax.struct.field(pytree_node=False)  # None: points (no bound)

  def mse(self) -> jax.Array:
    """Per-example mean squared error of the prediction against its target: [B]."""
    prediction, _ = split_output(self.output, self.variance)
    target = PARAMETERISATIONS.get(self.parameterisation).target(self.schedule, self.x0, self.t, self.noise)
    error = jnp.square(prediction - target)
    return jnp.mean(error.reshape(error.shape[0], -1), axis=1)

  def vlb_estimate(self, output: jax.Array | None = None) -> jax.Array:
    """T L_t: with t uniform, an unbiased estimate of sum_t L_t in bits/dim, [B]."""
    output = self.output if output is None else output
    return self.schedule.num_timesteps * bound_term(
        self.schedule, self.parameterisation, self.variance, output, self.x0, self.x_t, self.t,
        self.num_levels)


@register_weighting("uniform")
def uniform(inputs: LossInputs, c: ml_collections.ConfigDict) -> jax.Array:
  """Every timestep alike: Ho et al.'s L_simple (eq. 14) for epsilon prediction."""
  return jnp.ones(inputs.t.shape)


@register_weighting("min_snr")
def min_snr(inputs: LossInputs, c: ml_collections.ConfigDict) -> jax.Array:
  """Min-SNR-gamma (Hang et al. 2023): the x_0 MSE weighted by min(SNR_t, gamma) (``loss.snr_gamma``),
  stated for any parameterisation through its ``x0_mse_factor``."""
  snr = jnp.asarray(inputs.schedule.snr)[inputs.t]
  factor = PARAMETERISATIONS.get(inputs.parameterisation).x0_mse_factor(snr)
  return jnp.minimum(snr, c.snr_gamma) / factor


@register_loss("simple")
def simple(inputs: LossInputs, c: ml_collections.ConfigDict):
  """L_simple (Ho et al. eq. 14): the MSE of the prediction at a uniform t, times the weighting
  ``loss.weighting`` (uniform: eq. 14 itself)."""
  mse = inputs.mse()
  weighted = WEIGHTINGS.get(c.weighting)(inputs, c) * mse
  return weighted, {"mse": mse}


@register_loss("vlb")
def vlb(inputs: LossInputs, c: ml_collections.ConfigDict):
  """The full variational bound (Ho et al. eq. 5) by a single uniform timestep: T L_t, in bits/dim;
  the prior term L_T has no parameters and is left out."""
  bound = inputs.vlb_estimate()
  return bound, {"vlb_estimate": bound, "mse": inputs.mse()}


@register_loss("hybrid")
def hybrid(inputs: LossInputs, c: ml_collections.ConfigDict):
  """L_hybrid = L_simple + lambda L_vlb (Nichol & Dhariwal eq. 16, lambda = ``loss.vlb_weight``,
  0.001 in the paper). L_vlb sees the predicted mean through a stop-gradient, so it trains only
  the learned variances and L_simple alone trains the mean."""
  prediction, interpolation = split_output(inputs.output, inputs.variance)
  frozen = jnp.concatenate([jax.lax.stop_gradient(prediction), interpolation], axis=-1)
  mse = inputs.mse()
  bound = inputs.vlb_estimate(frozen)
  total = WEIGHTINGS.get(c.weighting)(inputs, c) * mse + c.vlb_weight * bound
  return total, {"mse": mse, "vlb_estimate": bound}
