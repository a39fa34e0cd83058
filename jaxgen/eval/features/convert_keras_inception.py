"""Converts Keras's InceptionV3 weights into the .npz that ``jaxgen.eval.features.inception`` loads.

Run once, offline, on Keras's standard ImageNet file (downloaded elsewhere)::

  python -m jaxgen.eval.features.convert_keras_inception \
      --keras-weights inception_v3_weights_tf_dim_ordering_tf_kernels.h5 --out inception_v3.npz

Layers are matched by construction order, never by Keras's auto-generated names: the Keras graph
is walked depth first from the output, taking each concatenation's inputs in order, which visits
the layers in the order ``keras.applications.inception_v3`` creates them (``model.layers`` is
sorted by depth and interleaves the branches). The Flax side is the order in which
``InceptionV3.__call__`` runs its ``ConvBN`` and ``Dense`` modules. Counts, kernel sizes, strides,
padding and every array shape are checked.
"""

import argparse

import flax.linen as nn
import jax
import numpy as np
import tensorflow as tf
from flax import traverse_util

from jaxgen.errors import CheckpointError
from jaxgen.eval.features import inception
from jaxgen.eval.features.weights import file_hash, save_weights


def keras_layers_in_creation_order(keras_model) -> list:
  """The Conv2D, BatchNormalization and Dense layers of ``keras_model``, inputs before outputs."""
  producers = {id(layer.output): layer for layer in keras_model.layers}
  ordered, expanded = [], set()
  stack = [(producers[id(keras_model.output)], False)]
  while stack:
    layer, inputs_done = stack.pop()
    if inputs_done:
      ordered.append(layer)
    elif id(layer) not in expanded and not isinstance(layer, tf.keras.layers.InputLayer):
      expanded.add(id(layer))
      stack.append((layer, True))
      inputs = layer.input if isinstance(layer.input, list) else [layer.input]
      stack.extend((producers[id(tensor)], False) for tensor in reversed(inputs))
  weighted = (tf.keras.layers.Conv2D, tf.keras.layers.BatchNormalization, tf.keras.layers.Dense)
  return [layer for layer in ordered if isinstance(layer, weighted)]


def trace_inception() -> tuple[list[tuple[str, nn.Module]], dict[str, jax.ShapeDtypeStruct]]:
  """Traces ``InceptionV3.init`` (nothing is computed).

  Returns:
    (path, module) of each ``ConvBN`` and ``Dense``, in the order ``__call__`` runs them, and the
    shape of every variable, keyed by its path joined by "/".
  """
  modules = []

  def record(next_call, args, kwargs, context):
    if context.method_name == "__call__" and isinstance(context.module,
                                                         (inception.ConvBN, nn.Dense)):
      modules.append(("/".join(context.module.path), context.module))
    return next_call(*args, **kwargs)

  with nn.intercept_methods(record):
    variables = jax.eval_shape(inception.InceptionV3().init, jax.random.key(0),
                               inception.example_input())
  return modules, traverse_util.flatten_dict(variables, sep="/")


def convert(keras_model) -> dict[str, np.ndarray]:
  """Keras InceptionV3(include_top=True) -> {Flax variable path joined by "/": float32 array}."""
  keras_layers = keras_layers_in_creation_order(keras_model)
  flax_modules, expected_shapes = trace_inception()
  num_conv = len(flax_modules) - 1
  expected_types = [tf.keras.layers.Conv2D, tf.keras.layers.BatchNormalization] * num_conv
  expected_types.append(tf.keras.layers.Dense)
  found_types = [type(layer) for layer in keras_layers]
  if len(found_types) != len(expected_types) or not all(
      issubclass(found, expected) for found, expected in zip(found_types, expected_types)):
    raise CheckpointError(f"expected a Keras InceptionV3(include_top=True): {num_conv} Conv2D + "
                          f"BatchNormalization pairs then a Dense, got {len(keras_layers)} "
                          "layers with weights in another pattern")
  arrays = {}
  for index, (prefix, module) in enumerate(flax_modules[:-1]):
    conv, batch_norm = keras_layers[2 * index], keras_layers[2 * index + 1]
    _check_conv_bn(conv, batch_norm, prefix, module)
    (arrays[f"params/{prefix}/Conv_0/kernel"],) = conv.get_weights()
    # Keras's order without gamma (scale=False, checked above).
    (arrays[f"params/{prefix}/BatchNorm_0/bias"], arrays[f"batch_stats/{prefix}/BatchNorm_0/mean"],
     arrays[f"batch_stats/{prefix}/BatchNorm_0/var"]) = batch_norm.get_weights()
  dense_prefix = flax_modules[-1][0]
  (arrays[f"params/{dense_prefix}/kernel"],
   arrays[f"params/{dense_prefix}/bias"]) = keras_layers[-1].get_weights()
  arrays = {key: array.astype(np.float32) for key, array in arrays.items()}
  _check_shapes(arrays, expected_shapes)
  return arrays


def _check_conv_bn(conv, batch_norm, prefix: str, module: inception.ConvBN) -> None:
  """Raises unless Keras's ``conv`` -> ``batch_norm`` computes what Flax's ``module`` does."""
  if batch_norm.input is not conv.output:
    raise CheckpointError(f"Keras layer {batch_norm.name}: expected the BatchNormalization of "
                          f"{conv.name}'s output")
  found = (tuple(conv.kernel_size), tuple(conv.strides), conv.padding.upper(), conv.use_bias,
           batch_norm.scale, batch_norm.center, batch_norm.epsilon)
  expected = (module.kernel_size, module.strides, module.padding, False, False, True,
              inception.BATCH_NORM_EPSILON)
  if found != expected:
    raise CheckpointError(f"Keras layers {conv.name}/{batch_norm.name} for Flax {prefix}: "
                          "expected (kernel, strides, padding, conv bias, bn scale, bn center, "
                          f"epsilon) = {expected}, got {found}")


def _check_shapes(arrays: dict[str, np.ndarray], expected: dict) -> None:
  if set(arrays) != set(expected):
    raise CheckpointError(f"converted keys differ from InceptionV3's: missing "
                          f"{sorted(set(expected) - set(arrays))}, extra "
                          f"{sorted(set(arrays) - set(expected))}")
  for key, spec in expected.items():
    if arrays[key].shape != spec.shape:
      raise CheckpointError(f"{key}: expected shape {spec.shape} for InceptionV3, got Keras's "
                            f"{arrays[key].shape}")


def main(argv=None) -> None:
  parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
  parser.add_argument("--keras-weights", required=True,
                      help="Keras's inception_v3_weights_tf_dim_ordering_tf_kernels.h5")
  parser.add_argument("--out", required=True, help="the .npz to write")
  args = parser.parse_args(argv)
  # Conversion needs no accelerator; keep TensorFlow off it so JAX can have it.
  tf.config.set_visible_devices([], "GPU")
  keras_model = tf.keras.applications.InceptionV3(weights=args.keras_weights)
  save_weights(traverse_util.unflatten_dict(convert(keras_model), sep="/"), args.out)
  print(f"wrote {args.out} (weights_hash {file_hash(args.out)}); "
        f"export {inception.WEIGHTS_ENV}={args.out}")


if __name__ == "__main__":
  main()
