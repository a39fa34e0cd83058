"""Cached vs uncached sequence sampling: seconds per sequence of 512 tokens (WaveNet: 4,000).

The Transformer, the LSTM and WaveNet of ``jaxgen.families.sequence`` (random params over 256
tokens: speed does not depend on training) draw a batch of sequences with ``autoregressive.draw``:
``cached=False`` re-runs the network over the whole canvas for every token, ``cached=True`` feeds
one token per call and carries the keys and values (the LSTM: its state; WaveNet: its per-layer
queues, Paine et al. 2016).
Each is compiled and run once first (the warm-up), then timed over ``repeats`` runs with
``block_until_ready``; both draw from the same key, and ``same_samples`` says whether the tokens
are identical.

    python -m benchmarks.sequence_sampling            # width 256, 4 layers; WaveNet 2 x 9 layers
    python -m benchmarks.sequence_sampling --quick    # width 64, 2 layers; WaveNet 1,000 samples

Measured: see benchmarks/README.md.
"""

import argparse
import json
import time

import jax
import jax.numpy as jnp

from jaxgen.families.sequence import model as model_lib
from jaxgen.nn import autoregressive as sampling
from jaxgen.nn.transformer import TransformerLM

VOCAB = 256
LENGTH = 512  # the Transformer's and the LSTM's new tokens


def _models(quick: bool) -> dict:
  """name -> (network, new tokens)."""
  width, layers = (64, 2) if quick else (256, 4)
  audio = 1000 if quick else 4000  # re-running WaveNet 4,000 times over 4,000 samples: hours
  return {"transformer": (TransformerLM(VOCAB, LENGTH, width, layers, num_heads=4),
                          LENGTH),
          "lstm": (model_lib.LSTMLM(VOCAB, LENGTH, width, min(layers, 2)), LENGTH),
          "wavenet": (model_lib.WaveNet(VOCAB, audio, 32, 6 if quick else 9), audio)}


def run(quick: bool) -> dict:
  """-> per model: seconds per sequence of each sampler, the speed-up and same_samples."""
  batch, repeats = (4, 1) if quick else (8, 2)
  result = {"device": jax.devices()[0].device_kind, "batch": batch, "repeats": repeats}
  for name, (model, length) in _models(quick).items():
    params = jax.jit(model.init)(jax.random.PRNGKey(0), jnp.zeros((batch, length), jnp.int32))
    apply = lambda inputs, cache, position, model=model, params=params: model.apply(
        {"params": params["params"]}, inputs, cache, position)
    entry = {"new_tokens": length, "width": model.width, "layers": model.num_layers,
             "params": int(sum(p.size for p in jax.tree.leaves(params["params"])))}
    samples = {}
    for cached in (False, True):
      draw = jax.jit(lambda key, cached=cached, apply=apply, model=model: sampling.draw(
          apply, model.empty_cache, jnp.zeros((batch, 0), jnp.int32), length, VOCAB, key,
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
