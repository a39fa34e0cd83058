"""Cached vs uncached sequence sampling: 512 new tokens per sequence, seconds per sequence.

The Transformer and the LSTM of ``jaxgen.families.sequence`` (random params over 256 byte tokens:
speed does not depend on training) draw a batch of 512-token sequences with
``sampling.draw``: ``cached=False`` re-runs the network over the whole canvas for every token,
``cached=True`` feeds one token per call and carries the keys and values (the LSTM: its state).
Each is compiled and run once first (the warm-up), then timed over ``repeats`` runs with
``block_until_ready``; both draw from the same key, and ``same_samples`` says whether the tokens
are identical.

    python -m benchmarks.sequence_sampling            # width 256, 4 layers (Transformer), 2 (LSTM)
    python -m benchmarks.sequence_sampling --quick    # width 64, 2 layers

Measured: see benchmarks/README.md.
"""

import argparse
import json
import time

import jax
import jax.numpy as jnp

from jaxgen.families.sequence import model as model_lib
from jaxgen.families.sequence import sampling

VOCAB = 256
LENGTH = 512


def _models(quick: bool) -> dict:
  width, layers = (64, 2) if quick else (256, 4)
  return {"transformer": model_lib.TransformerLM(VOCAB, LENGTH, width, layers, num_heads=4),
          "lstm": model_lib.LSTMLM(VOCAB, LENGTH, width, min(layers, 2))}


def run(quick: bool) -> dict:
  """-> per model: seconds per sequence of each sampler, the speed-up and same_samples."""
  batch, repeats = (4, 1) if quick else (8, 2)
  result = {"device": jax.devices()[0].device_kind, "new_tokens": LENGTH, "batch": batch,
            "repeats": repeats}
  for name, model in _models(quick).items():
    params = jax.jit(model.init)(jax.random.PRNGKey(0), jnp.zeros((batch, LENGTH), jnp.int32))
    apply = lambda inputs, cache, position, model=model, params=params: model.apply(
        {"params": params["params"]}, inputs, cache, position)
    entry = {"width": model.width, "layers": model.num_layers,
             "params": int(sum(p.size for p in jax.tree.leaves(params["params"])))}
    samples = {}
    for cached in (False, True):
      draw = jax.jit(lambda key, cached=cached, apply=apply, model=model: sampling.draw(
          apply, model.empty_cache, jnp.zeros((batch, 0), jnp.int32), LENGTH, VOCAB, key,
          cached=cached))
      label = "cached" if cached else "uncached"
      samples[label] = jax.block_until_ready(draw(jax.random.PRNGKey(1)))  # warm-up: compiles
      start = time.perf_counter()
      for i in range(repeats):
        jax.block_until_ready(draw(jax.random.PRNGKey(1)))
      entry[f"{label}_seconds_per_sequence"] = (time.perf_counter() - start) / (repeats * batch)
    entry["speedup"] = entry["uncached_seconds_per_sequence"] / entry["cached_seconds_per_sequence"]
    entry["same_samples"] = bool(jnp.all(samples["cached"] == samples["uncached"]))
    result[name] = entry
  return result


if __name__ == "__main__":
  parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
  parser.add_argument("--quick", action="store_true", help="small models, a minute on a CPU")
  print(json.dumps(run(parser.parse_args().quick), indent=2))
