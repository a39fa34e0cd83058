"""Output heads by name: the distribution of a pixel given the network's outputs there.

A head reads the network's ``num_outputs(C)`` features at each pixel and gives

  ``log_prob(outputs [B, H, W, F], x [B, H, W, C]) -> [B, H, W]``  exact log P of the pixel, in nats
  ``draw(outputs [B, F], pixel [B, C], step, rng, temperature) -> pixel [B, C]``

Per-channel heads (``bernoulli``, ``softmax``) predict channel c from features of channel group c
(``masked.channel_groups``), so colour pixels are drawn one channel per step (R, then G, then B):
``steps_per_pixel = C``. The ``logistic_mixture`` head predicts a whole pixel from its context and
keeps R -> G -> B inside the head (PixelCNN++'s linear dependence of the means), one step per pixel.
Data values sit on the level grid ``low + (high - low) v / (L - 1)``, v = 0..L-1, as the data
pipeline delivers them without dequantization.

Register a new head with ``@register_head("name")`` on a factory ``(num_levels, value_range,
config.model) -> head``.
"""

import dataclasses

import jax
import jax.numpy as jnp
import ml_collections

from jaxgen.registry import Registry
from jaxgen.nn.discretized_logistic import DiscretizedLogistic

HEADS = Registry("PixelCNN output head")
register_head = HEADS.register


def level_index(x: jax.Array, num_levels: int, value_range: tuple[float, float]) -> jax.Array:
  """Data values on the level grid -> their level v in 0..L-1 (int32), robust to rounding."""
  low, high = value_range
  return jnp.round((x - low) / (high - low) * (num_levels - 1)).astype(jnp.int32)


def level_value(index: jax.Array, num_levels: int, value_range: tuple[float, float]) -> jax.Array:
  low, high = value_range
  return low + (high - low) * index.astype(jnp.float32) / (num_levels - 1)


@dataclasses.dataclass(frozen=True)
class Bernoulli:
  """``P(x_c = 1) = sigmoid(logit_c)``: one logit per channel; binary data in {0, 1}."""
  channels_in_head = False

  def num_outputs(self, channels: int) -> int:
    return channels

  def steps_per_pixel(self, channels: int) -> int:
    return channels

  def log_prob(self, outputs: jax.Array, x: jax.Array) -> jax.Array:
    # x log sigmoid(l) + (1 - x) log sigmoid(-l), summed over channels.
    return jnp.sum(x * jax.nn.log_sigmoid(outputs) + (1.0 - x) * jax.nn.log_sigmoid(-outputs), -1)

  def draw(self, outputs, pixel, step, rng, temperature):
    value = jax.random.bernoulli(rng, jax.nn.sigmoid(outputs[:, step] / temperature))
    return pixel.at[:, step].set(value.astype(pixel.dtype))


@dataclasses.dataclass(frozen=True)
class Softmax:
  """A categorical distribution over the data's L levels per channel (van den Oord et al. 2016,
  Section 5.3: a 256-way softmax for 8-bit data): features ``[v * C + c]`` are the logits of level
  v of channel c."""
  num_levels: int
  value_range: tuple[float, float]
  channels_in_head = False

  def num_outputs(self, channels: int) -> int:
    return self.num_levels * channels

  def steps_per_pixel(self, channels: int) -> int:
    return channels

  def logits(self, outputs: jax.Array) -> jax.Array:
    """[..., L * C] -> [..., C, L]."""
    return jnp.swapaxes(outputs.reshape(*outputs.shape[:-1], self.num_levels, -1), -1, -2)

  def log_prob(self, outputs: jax.Array, x: jax.Array) -> jax.Array:
    log_p = jax.nn.log_softmax(self.logits(outputs), axis=-1)
    index = level_index(x, self.num_levels, self.value_range)
    return jnp.sum(jnp.take_along_axis(log_p, index[..., None], axis=-1)[..., 0], axis=-1)

  def draw(self, outputs, pixel, step, rng, temperature):
    index = jax.random.categorical(rng, self.logits(outputs)[:, step] / temperature, axis=-1)
    return pixel.at[:, step].set(level_value(index, self.num_levels, self.value_range))


@dataclasses.dataclass(frozen=True)
class LogisticMixture:
  """PixelCNN++'s discretized logistic mixture (Salimans et al. 2017, eqs. 2-3), per pixel:

      P(x) = sum_k pi_k prod_c P_logistic(x_c | mu_kc, s_kc),
      mu_k,G = m_k,G + a_k x_R,   mu_k,B = m_k,B + b_k x_R + g_k x_G   (coefficients tanh'd),

  each channel's P the discretized logistic of ``jaxgen.nn.discretized_logistic`` (edge bins open
  to -inf / +inf). Features: K mixture logits, then per component and channel a mean and a log-scale
  (floored at -7, as in PixelCNN++), then C (C - 1) / 2 coefficients per component. A draw picks
  k ~ pi at temperature T (logits / T), then each channel in order from its logistic with scale
  T s, rounded to the nearest level (an exact draw of the discretized distribution at T = 1).
  """
  num_levels: int
  value_range: tuple[float, float]
  num_components: int
  min_log_scale: float = -7.0
  channels_in_head = True

  def num_outputs(self, channels: int) -> int:
    return self.num_components * (1 + 2 * channels + channels * (channels - 1) // 2)

  def steps_per_pixel(self, channels: int) -> int:
    return 1

  def split(self, outputs: jax.Array, channels: int):
    """[..., F] -> mixture logits [..., K], means and log-scales [..., K, C], coefficients
    [..., K, C (C - 1) / 2]."""
    k = self.num_components
    logits = outputs[..., :k]
    means, log_scales, coefficients = jnp.split(
        outputs[..., k:].reshape(*outputs.shape[:-1], k, -1), [channels, 2 * channels], axis=-1)
    return logits, means, jnp.maximum(log_scales, self.min_log_scale), jnp.tanh(coefficients)

  def adjusted_means(self, means: jax.Array, coefficients: jax.Array, x: jax.Array) -> jax.Array:
    """The means of channel c shifted by the coefficient-weighted channels before it (eq. 3).
    means, coefficients: [..., K, *]; x: [..., C] -> [..., K, C]."""
    channels = means.shape[-1]
    adjusted, used = [means[..., 0]], 0
    for c in range(1, channels):
      shift = jnp.sum(coefficients[..., used:used + c] * x[..., None, :c], axis=-1)
      adjusted.append(means[..., c] + shift)
      used += c
    return jnp.stack(adjusted, axis=-1)

  def _channel(self) -> DiscretizedLogistic:
    return DiscretizedLogistic(self.num_levels, self.value_range)

  def log_prob(self, outputs: jax.Array, x: jax.Array) -> jax.Array:
    logits, means, log_scales, coefficients = self.split(outputs, x.shape[-1])
    means = self.adjusted_means(means, coefficients, x)
    per_channel = self._channel().log_prob(means, log_scales, x[..., None, :])  # [..., K, C]
    return jax.nn.logsumexp(jax.nn.log_softmax(logits, -1) + jnp.sum(per_channel, -1), axis=-1)

  def draw(self, outputs, pixel, step, rng, temperature):
    del step  # One step draws the whole pixel.
    channels = pixel.shape[-1]
    logits, means, log_scales, coefficients = self.split(outputs, channels)
    component_key, *channel_keys = jax.random.split(rng, 1 + channels)
    k = jax.random.categorical(component_key, logits / temperature, axis=-1)  # [B]
    pick = lambda a: jnp.take_along_axis(a, k[:, None, None], axis=1)[:, 0]  # [B, K, n] -> [B, n]
    means, log_scales, coefficients = pick(means), pick(log_scales), pick(coefficients)
    scale = log_scales + jnp.log(temperature)
    values = pixel
    for c in range(channels):
      mean = self.adjusted_means(means[:, None], coefficients[:, None], values)[:, 0, c]
      value = self._channel().sample(mean, scale[:, c], channel_keys[c])
      values = values.at[:, c].set(value)
    return values


@register_head("bernoulli")
def _bernoulli(num_levels, value_range, model_config: ml_collections.ConfigDict):
  return Bernoulli()


@register_head("softmax")
def _softmax(num_levels, value_range, model_config: ml_collections.ConfigDict):
  return Softmax(num_levels, value_range)


@register_head("logistic_mixture")
def _logistic_mixture(num_levels, value_range, model_config: ml_collections.ConfigDict):
  return LogisticMixture(num_levels, value_range, model_config.num_mixtures)
