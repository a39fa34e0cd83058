"""The three architectures of the family, built from ``config.model``: NICE, RealNVP, Glow.

Each has a vector version (2-D toys, tabular data: MLP coupling networks) and an image version
(NHWC), and returns a ``Flow``. ``model.name`` picks one; register another with
``@register_architecture("name")`` on a function ``(model_config, data_shape) -> Flow``.

  nice     ``num_couplings`` additive couplings with alternating masks and MLPs of widths
           ``hidden`` on the flattened input, then a diagonal scaling (Dinh et al. 2015, sec. 5).
  realnvp  vectors: ``num_couplings`` affine couplings with alternating masks. Images: the logit
           preprocessing, then per scale 3 checkerboard couplings, squeeze, 3 channel-wise
           couplings and factoring out half; the last scale has 4 checkerboard couplings
           (Dinh et al. 2017, sec. 3.6, 4.1). Coupling networks are ResNets.
  glow     ``steps_per_scale`` steps of actnorm, invertible 1x1 convolution, coupling; images
           squeeze before each scale and factor out half after it (Kingma & Dhariwal 2018,
           fig. 2). Coupling networks are Glow's 3-layer CNN (images) or MLPs (vectors).
           ``coupling`` is ``affine``, ``additive`` or ``spline``: rational-quadratic splines of
           ``num_bins`` bins on [-tail_bound, tail_bound], which with the LU-decomposed linear map
           make the steps of a coupling Neural Spline Flow (Durkan et al. 2019).

``actnorm`` in realnvp puts an actnorm before each coupling: in place of RealNVP's batch
normalisation, whose running statistics make a flow depend on the batch it is evaluated on.
Repeated identical blocks (Glow's steps, pairs of RealNVP's vector couplings) are one
``Repeated`` scan each, so compile time does not grow with depth.
"""

from typing import Sequence

import flax.linen as nn
import ml_collections

from jaxgen.registry import Registry
from jaxgen.errors import ConfigError, UnknownNameError
from jaxgen.families.flows import networks
from jaxgen.families.flows.bijectors import Bijector, Chain, Repeated
from jaxgen.families.flows.coupling import AdditiveCoupling, AffineCoupling, SplineCoupling
from jaxgen.families.flows.elementwise import ActNorm, DiagonalScaling, Logit
from jaxgen.families.flows.flow import BASES, Flow
from jaxgen.families.flows.linear import Invertible1x1Conv
from jaxgen.families.flows.multiscale import FactorOut, Squeeze, Unsqueeze
from jaxgen.families.flows.spline import parameters_per_element

ARCHITECTURES = Registry("flow architecture")
register_architecture = ARCHITECTURES.register
COUPLINGS = ("affine", "additive", "spline")
PERMUTATIONS = ("conv", "lu")


def _is_image(data_shape: Sequence[int]) -> bool:
  return len(data_shape) == 3


def _check_image_size(data_shape: Sequence[int], num_squeezes: int) -> None:
  factor = 2 ** num_squeezes
  if data_shape[0] % factor or data_shape[1] % factor:
    raise ConfigError(f"model.num_scales squeezes the image {num_squeezes} times, so its size "
                      f"{tuple(data_shape[:2])} must be divisible by {factor}")


def _coupling(c: ml_collections.ConfigDict, network: nn.Module, mask: str, parity: int) -> Bijector:
  """The ``c.coupling`` coupling around ``network`` (built for that kind's outputs)."""
  if c.coupling == "additive":
    return AdditiveCoupling(network, mask, parity)
  if c.coupling == "spline":
    return SplineCoupling(network, mask, parity, c.num_bins, c.tail_bound)
  return AffineCoupling(network, mask, parity, c.scale)


def _outputs_per_element(c: ml_collections.ConfigDict) -> int:
  """What the coupling network emits per transformed element for ``c.coupling``."""
  if c.coupling not in COUPLINGS:
    raise UnknownNameError(f"unknown model.coupling {c.coupling!r}; valid: {', '.join(COUPLINGS)}")
  if c.coupling == "spline":
    if c.num_bins < 1 or c.tail_bound <= 0:
      raise ConfigError(f"spline couplings need model.num_bins >= 1 and model.tail_bound > 0; got "
                        f"{c.num_bins} and {c.tail_bound}")
    return parameters_per_element(c.num_bins)
  return 1 if c.coupling == "additive" else 2


@register_architecture("nice")
def nice(c: ml_collections.ConfigDict, data_shape: Sequence[int]) -> Flow:
  layers = [AdditiveCoupling(networks.MLP(tuple(c.hidden), 1), "alternate", i % 2)
            for i in range(c.num_couplings)]
  return Flow(Chain(layers + [DiagonalScaling()]), tuple(data_shape), c.base)


def _realnvp_couplings(c: ml_collections.ConfigDict, network_of, mask: str, count: int) -> list:
  """``count`` affine couplings of alternating parity, each after an actnorm if ``c.actnorm``."""
  layers = []
  for i in range(count):
    if c.actnorm:
      layers.append(ActNorm())
    layers.append(AffineCoupling(network_of(), mask, i % 2, c.scale))
  return layers


def _realnvp_scale(c: ml_collections.ConfigDict, scales_left: int) -> Bijector:
  """One scale of RealNVP's multi-scale architecture, holding the coarser ones (images)."""
  network_of = lambda: networks.ResNet(c.features, c.num_blocks, 2)
  if scales_left == 1:
    return Chain(_realnvp_couplings(c, network_of, "checkerboard", 4))
  return Chain(_realnvp_couplings(c, network_of, "checkerboard", 3) + [Squeeze()]
               + _realnvp_couplings(c, network_of, "channel", 3)
               + [FactorOut(_realnvp_scale(c, scales_left - 1)), Unsqueeze()])


@register_architecture("realnvp")
def realnvp(c: ml_collections.ConfigDict, data_shape: Sequence[int]) -> Flow:
  if not _is_image(data_shape):
    if c.num_couplings % 2:
      raise ConfigError(f"model.num_couplings must be even (pairs of alternating masks), got "
                        f"{c.num_couplings}")
    pair = Chain(_realnvp_couplings(c, lambda: networks.MLP(tuple(c.hidden), 2), "alternate", 2))
    return Flow(Repeated(pair, c.num_couplings // 2), tuple(data_shape), c.base)
  _check_image_size(data_shape, c.num_scales - 1)
  layers = [Logit(c.logit_alpha)] if c.logit_alpha > 0 else []
  return Flow(Chain(layers + [_realnvp_scale(c, c.num_scales)]), tuple(data_shape), c.base)


def _glow_steps(c: ml_collections.ConfigDict, network: nn.Module) -> Bijector:
  """K steps of flow (Glow fig. 2a): actnorm, invertible 1x1 convolution, coupling."""
  if c.permutation not in PERMUTATIONS:
    raise UnknownNameError(f"unknown model.permutation {c.permutation!r}; valid: "
                           f"{', '.join(PERMUTATIONS)}")
  step = Chain([ActNorm(), Invertible1x1Conv(lu=c.permutation == "lu"),
                _coupling(c, network, "channel", 0)])
  return Repeated(step, c.steps_per_scale)


def _glow_scale(c: ml_collections.ConfigDict, scales_left: int) -> Bijector:
  """Squeeze, K steps, then (except at the last scale) factor out half (images)."""
  steps = _glow_steps(c, networks.ConvNet(c.features, _outputs_per_element(c)))
  if scales_left == 1:
    top = [ActNorm(data_init=False)] if c.learn_top else []
    return Chain([Squeeze(), steps] + top + [Unsqueeze()])
  inner = _glow_scale(c, scales_left - 1)
  return Chain([Squeeze(), steps, FactorOut(inner, c.learned_prior), Unsqueeze()])


@register_architecture("glow")
def glow(c: ml_collections.ConfigDict, data_shape: Sequence[int]) -> Flow:
  if not _is_image(data_shape):
    network = networks.MLP(tuple(c.hidden), _outputs_per_element(c))
    return Flow(_glow_steps(c, network), tuple(data_shape), c.base)
  _check_image_size(data_shape, c.num_scales)
  return Flow(_glow_scale(c, c.num_scales), tuple(data_shape), c.base)


def build_flow(model_config: ml_collections.ConfigDict, data_shape: Sequence[int]) -> Flow:
  """The flow named by ``model_config.name`` for data of ``data_shape`` ([D] or [H, W, C])."""
  if model_config.base not in BASES:
    raise UnknownNameError(f"unknown model.base {model_config.base!r}; valid: {', '.join(BASES)}")
  return ARCHITECTURES.get(model_config.name)(model_config, data_shape)
