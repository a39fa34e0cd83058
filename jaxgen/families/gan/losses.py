"""GAN objectives: adversarial losses by name and weight clipping (the gradient penalties are
``jaxgen.nn.adversarial``'s).

An adversarial loss is a pure function of the discriminator's outputs (logits, or critic values
for Wasserstein losses) on a batch of real and a batch of generated samples:

  loss(real_logits: [B], fake_logits: [B]) -> (discriminator_loss: [B], generator_loss: [B])

Both are minimised, the first over D's parameters, the second over G's (D held fixed). Register a
new one with ``@register_loss("name")``, or name it by dotted path
(``loss.name = "my_package.losses:my_loss"``). ``register_loss`` also records what the loss needs
from the discriminator update: the gradient penalty (WGAN-GP) or weight clipping (WGAN).
Regularizers that any loss can use (R1, R2) are configured by weight (``loss.r1_weight``).
"""

import dataclasses
from typing import Callable

import jax
import jax.numpy as jnp

from jaxgen.errors import ConfigError
from jaxgen.nn import adversarial
from jaxgen.registry import Registry

LossFn = Callable[[jax.Array, jax.Array], tuple[jax.Array, jax.Array]]

LOSSES = Registry("GAN loss")


@dataclasses.dataclass(frozen=True)
class GanLoss:
  """A registered loss: its values and what the discriminator update adds to them.

  gradient_penalty: add ``loss.gp_weight * gradient_penalty`` to D's loss (Gulrajani et al.).
  weight_clip: clip D's parameters to ``[-loss.weight_clip, loss.weight_clip]`` after each D
    update (Arjovsky et al.).
  """
  values: LossFn
  gradient_penalty: bool = False
  weight_clip: bool = False


def register_loss(name: str, *, gradient_penalty: bool = False,
                  weight_clip: bool = False) -> Callable[[LossFn], LossFn]:
  """Decorator: registers ``loss(real_logits, fake_logits) -> (d_loss, g_loss)`` as ``name``."""
  def decorator(values: LossFn) -> LossFn:
    LOSSES.register(name)(GanLoss(values, gradient_penalty, weight_clip))
    return values

  return decorator


def get_loss(name: str) -> GanLoss:
  """The registered loss ``name``, or a plain loss function at a dotted path."""
  entry = LOSSES.get(name)
  if isinstance(entry, GanLoss):
    return entry
  if not callable(entry):
    raise ConfigError(f"loss {name!r} must be a function (real_logits, fake_logits) -> "
                      f"(d_loss, g_loss), got {type(entry).__name__}")
  return GanLoss(entry)


@register_loss("minimax")
def minimax(real_logits: jax.Array, fake_logits: jax.Array) -> tuple[jax.Array, jax.Array]:
  """The original GAN game (Goodfellow et al. 2014, eq. 1), D(x) = sigmoid(logit):

  L_D = -log D(x) - log(1 - D(G(z))) = softplus(-r) + softplus(f),
  L_G = log(1 - D(G(z))) = -softplus(f).

  L_G saturates (vanishing gradient) when D confidently rejects the samples, early in training.
  """
  return jax.nn.softplus(-real_logits) + jax.nn.softplus(fake_logits), -jax.nn.softplus(fake_logits)


register_loss("non_saturating")(adversarial.non_saturating)


register_loss("wasserstein", weight_clip=True)(adversarial.wasserstein)


@register_loss("wgan_gp", gradient_penalty=True)
def wgan_gp(real_logits: jax.Array, fake_logits: jax.Array) -> tuple[jax.Array, jax.Array]:
  """WGAN-GP (Gulrajani et al. 2017, Algorithm 1): the Wasserstein losses

  L_D = f(G(z)) - f(x) + lambda GP,  L_G = -f(G(z)),

  with the Lipschitz constraint enforced by the gradient penalty GP (``jaxgen.nn.adversarial.gradient_penalty``, added
  by the discriminator update with lambda = ``loss.gp_weight``) instead of clipping.
  """
  return adversarial.wasserstein(real_logits, fake_logits)


@register_loss("hinge")
def hinge(real_logits: jax.Array, fake_logits: jax.Array) -> tuple[jax.Array, jax.Array]:
  """Hinge loss (Lim & Ye 2017; Miyato et al. 2018):

  L_D = max(0, 1 - r) + max(0, 1 + f),  L_G = -f.
  """
  return jax.nn.relu(1.0 - real_logits) + jax.nn.relu(1.0 + fake_logits), -fake_logits


register_loss("least_squares")(adversarial.least_squares)


def clip_weights(params, bound: float):
  """WGAN's weight clipping: every parameter of D clamped to ``[-bound, bound]``."""
  return jax.tree.map(lambda p: jnp.clip(p, -bound, bound), params)
