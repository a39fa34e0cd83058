"""jaxgen/nn/conv.py: the im2col / col2im convolutions against flax's own, values and gradients,
and the flows' scanned coupling network on them against lax's convolution."""

import flax.linen as nn
import jax
import jax.numpy as jnp
import numpy as np
import pytest

from jaxgen.families.flows import networks
from jaxgen.nn import conv

jax.config.update("jax_default_matmul_precision", "highest")

# (size, kernel, stride): DCGAN's 5x5 on a map smaller than the kernel, an even kernel on an odd
# size, stride 1.
CONV_CASES = [(4, 5, 2), (7, 4, 2), (5, 3, 1)]


@pytest.mark.parametrize("size,kernel,stride", CONV_CASES)
@pytest.mark.parametrize("impl", ["im2col", "xla"])
def test_conv_layers_match_flax_convolutions_and_their_gradients(size, kernel, stride, impl):
  x = jax.random.normal(jax.random.PRNGKey(0), (2, size, size, 3))
  pairs = [(nn.Conv(4, (kernel, kernel), strides=(stride, stride), padding="SAME"),
            conv.Conv2D(4, kernel, stride, impl=impl)),
           (nn.ConvTranspose(4, (kernel, kernel), strides=(stride, stride), padding="SAME"),
            conv.ConvTranspose2D(4, kernel, stride, impl=impl))]
  for reference, ours in pairs:
    params = jax.jit(reference.init)(jax.random.PRNGKey(1), x)
    loss = lambda module: lambda p, x: jnp.sum(jnp.sin(module.apply(p, x)))

    @jax.jit  # one compile; op by op, every pad, slice and add compiled on its own
    def values_and_grads(params, x):
      return ((ours.apply(params, x), jax.grad(loss(ours), argnums=(0, 1))(params, x)),
              (reference.apply(params, x), jax.grad(loss(reference), argnums=(0, 1))(params, x)))

    (value, grads), (reference_value, reference_grads) = values_and_grads(params, x)
    np.testing.assert_allclose(value, reference_value, atol=1e-5)
    jax.tree.map(lambda a, b: np.testing.assert_allclose(a, b, atol=1e-4), grads,
                 reference_grads)



def test_flows_conv_is_flax_conv_under_scan_with_its_parameter_names():
  """The flows' coupling network (im2col on the CPU) inside a lax.scan, as Repeated runs it, has
  nn.Conv's parameter names and computes what it computes with lax's convolution."""
  x = jax.random.normal(jax.random.PRNGKey(0), (2, 4, 4, 4))
  nets = {impl: networks.ConvNet(8, 2, conv=impl) for impl in ("im2col", "xla")}
  params = jax.jit(nets["im2col"].init)(jax.random.PRNGKey(1), x)
  assert set(params["params"]) == {"Conv_0", "Conv_1", "ZeroConv_0"}
  assert set(params["params"]["ZeroConv_0"]) == {"Conv_0", "log_scale"}
  params = jax.tree.map(lambda p: p + 0.1, params)  # the zero-initialised last layer counts too

  def scanned(net):
    return lambda p: jax.lax.scan(lambda h, _: (jnp.tanh(net.apply(p, h).sum(-1)), None), x,
                                  None, length=3)[0]

  values = {impl: jax.jit(scanned(net))(params) for impl, net in nets.items()}
  np.testing.assert_allclose(values["im2col"], values["xla"], atol=1e-5)
  grads = {impl: jax.jit(jax.grad(lambda p: jnp.sum(scanned(net)(p) ** 2)))(params)
           for impl, net in nets.items()}
  jax.tree.map(lambda a, b: np.testing.assert_allclose(a, b, atol=1e-4), grads["im2col"],
               grads["xla"])
