"""Pixel-by-pixel sampling inside one jitted loop: ``plain`` and ``fast`` (by name: SAMPLERS).

Both fill a canvas [B, H, W, C] in raster order from row ``first_row`` on (0 samples an image; H/2
completes the bottom half of given images; an int or a traced scalar, so one compile serves both). Draw t = p * S + s is the s-th of the S steps of pixel p
(S = C for per-channel heads, R then G then B; 1 for heads that draw a whole pixel); its key is
``fold_in(rng, t)`` and the head draws it from the network's outputs at p at ``temperature``.

``plain`` runs the whole network on the canvas at every step: H W S full forward passes.
``fast`` caches every layer's padded inputs (Ramachandran et al. 2017): one full pass fills the
caches (with the given rows, when completing), then each row runs only the row's vertical-stack
work (``model.row_step``) and each step only the new pixel's (``model.pixel_step``). The network
computes the same numbers either way, so with the same key both draw the same samples.
"""

import jax
import jax.numpy as jnp

from jaxgen.registry import Registry

SAMPLERS = Registry("PixelCNN sampler")


@SAMPLERS.register("plain")
def plain(model, params, head, canvas, labels, rng, temperature, first_row=0):
  """canvas: [B, H, W, C] (rows >= first_row are overwritten); labels: [B] or None -> [B, H, W, C]."""
  _, height, width, channels = canvas.shape
  steps = head.steps_per_pixel(channels)

  def draw(t, canvas):
    pixel, step = jnp.divmod(t, steps)
    row, col = jnp.divmod(pixel, width)
    outputs = model.apply({"params": params}, canvas, labels)[:, row, col]
    value = head.draw(outputs, canvas[:, row, col], step, jax.random.fold_in(rng, t), temperature)
    return canvas.at[:, row, col].set(value)

  return jax.lax.fori_loop(first_row * width * steps, height * width * steps, draw, canvas)


@SAMPLERS.register("fast")
def fast(model, params, head, canvas, labels, rng, temperature, first_row=0):
  """As ``plain``, with each step computing only the new pixel's outputs from cached layers."""
  _, height, width, channels = canvas.shape
  steps = head.steps_per_pixel(channels)
  apply = lambda *args, method: model.apply({"params": params}, *args, method=method)
  _, caches = apply(canvas, labels, method=model.forward)

  def fill_row(row, carry):
    canvas, caches = carry
    row_state, caches = apply(canvas, caches, labels, row, method=model.row_step)

    def fill_pixel(col, carry):
      canvas, caches = carry
      pixel = row * width + col
      for step in range(steps):  # A channel's outputs depend on the channels drawn before it.
        outputs, caches = apply(canvas, caches, row_state, labels, row, col, method=model.pixel_step)
        value = head.draw(outputs, canvas[:, row, col], step,
                          jax.random.fold_in(rng, pixel * steps + step), temperature)
        canvas = canvas.at[:, row, col].set(value)
      return canvas, caches

    return jax.lax.fori_loop(0, width, fill_pixel, (canvas, caches))

  canvas, _ = jax.lax.fori_loop(first_row, height, fill_row, (canvas, caches))
  return canvas
