"""The sequence family on the shared runner: next-token models of text and audio, trained by exact
maximum likelihood.

Model: ``P(x) = prod_t P(x_t | x_<t)`` over windows of T tokens of a vocabulary of V, the network by
name (``model.ARCHITECTURES``: transformer, lstm, wavenet) reading the window shifted right behind a
start token. The loss is the window's negative log-likelihood in bits per token (per character of
text, per sample of audio); ``evaluate`` reports it on the test split, and where the data's true
distribution is known (``markov_text``) the exact floor ``true_bits_per_token`` (the window's
entropy / T), the ``gap_bits_per_token`` above it and the true distribution's bits per token of the
model's samples. With ``model.conditional`` the network is told each window's label (WaveNet's
global conditioning: ``tones``' note; the Transformer's class embedding), samples cycle through the
labels, and where the data's class is read off a sample exactly (``info.classify``) ``evaluate``
reports ``label_accuracy``.

Sampling (``nn.autoregressive.draw``): one token at a time at ``sample.temperature`` with
``sample.top_k`` and ``sample.top_p``, after ``sample.prompt`` (text in the dataset's alphabet),
carrying the network's cache (``sample.cached``; False re-runs the whole prefix each step, same
tokens). The sample "grid" is text or audio: the runner writes the decoded samples (``.txt`` or
``.wav``), and ``jaxgen eval`` writes its samples beside ``eval.json`` (``samples.txt``, or
``samples.wav`` and a spectrogram).
"""

import math
import os
from typing import Dict

import jax
import jax.numpy as jnp
import ml_collections
import numpy as np
import optax

from jaxgen.core import evaluation, logging as logging_lib
from jaxgen.core.experiment import Experiment, Sampler, TrainState, init_train_state
from jaxgen.core.optim import make_optimizer
from jaxgen.errors import ConfigError
from jaxgen.families.sequence.model import build_model
from jaxgen.nn import autoregressive


class SequenceExperiment(Experiment):
  """Implements the Experiment protocol (jaxgen.core.experiment) for next-token models."""

  def __init__(self, config: ml_collections.ConfigDict):
    super().__init__(config)
    if self.info.kind != "sequence":
      raise ConfigError(f"the sequence family models token sequences; {self.info.name!r} is "
                        f"{self.info.kind}")
    s = config.sample
    if s.temperature <= 0 or s.top_k < 0 or not 0 < s.top_p <= 1:
      raise ConfigError(f"expected sample.temperature > 0, sample.top_k >= 0 and 0 < sample.top_p "
                        f"<= 1, got {s.temperature}, {s.top_k} and {s.top_p}")
    self.vocab_size, (self.length,) = self.info.num_levels, self.info.shape
    self.start_token = self.vocab_size  # the embedding's extra entry
    self.prompt = self.encode_prompt(s.prompt)
    if config.model.get("conditional") and not self.info.num_classes:
      raise ConfigError(f"model.conditional needs labels; {self.info.name!r} has none")
    self.num_classes = self.info.num_classes if config.model.get("conditional") else None
    self.model = build_model(config.model, self.vocab_size, self.length, self.num_classes or 0)
    self.optimizer = make_optimizer(config.optimizer, config.train.num_steps)
    self.drawn = np.zeros((0, self.length), np.int32)  # evaluate's samples, for report

  def encode_prompt(self, text: str) -> np.ndarray:
    """The prompt's tokens [P] (the dataset's ``encode``)."""
    if not text:
      return np.zeros((0,), np.int32)
    tokens = np.asarray(self.info.encode(text), np.int32)
    if len(tokens) >= self.length:
      raise ConfigError(f"sample.prompt has {len(tokens)} tokens; a window holds {self.length}")
    return tokens

  # -- the model as functions of params --------------------------------------------------------

  def conditioning(self, labels) -> dict:
    """The network's keyword arguments for ``labels`` [B]: none when unconditional."""
    return {"labels": labels} if self.num_classes else {}

  def log_prob(self, params, tokens: jax.Array, dropout_rng=None, labels=None) -> jax.Array:
    """Exact ``log P(window)`` (given ``labels`` [B] when conditional) in nats: tokens [B, T] int
    -> [B]. With ``dropout_rng`` the network runs in training mode."""
    train = dropout_rng is not None
    inputs = autoregressive.shift_right(tokens, self.start_token)
    logits, _ = self.model.apply({"params": params}, inputs,
                                 train=train, rngs={"dropout": dropout_rng} if train else None,
                                 **self.conditioning(labels))
    return -jnp.sum(optax.softmax_cross_entropy_with_integer_labels(logits, tokens), axis=1)

  def objective(self, params, batch: dict, rng=None):
    """Per-example bits per token [B] and ``{"nll": nats [B], "bits_per_token": [B]}``."""
    nll = -self.log_prob(params, batch[self.key], rng, batch.get("label"))
    bits = nll / (self.length * math.log(2))
    return bits, {"nll": nll, "bits_per_token": bits}

  def draw(self, params, rng: jax.Array, num: int, cached: bool, **options) -> jax.Array:
    """``num`` windows [num, T] int32 after the config's prompt; options override ``sample``'s
    temperature, top_k, top_p."""
    s = {**self.config.sample.to_dict(), **options}
    condition = self.conditioning(self.sample_labels(num))
    apply = lambda inputs, cache, position: self.model.apply(
        {"params": params}, inputs, cache, position, **condition)
    prompt = jnp.broadcast_to(jnp.asarray(self.prompt), (num, len(self.prompt)))
    return autoregressive.draw(apply, self.model.empty_cache, prompt, self.length, self.start_token,
                         rng, s["temperature"], s["top_k"], s["top_p"], cached)

  # -- the Experiment protocol -----------------------------------------------------------------

  def init(self, rng: jax.Array, example_batch: dict) -> TrainState:
    tokens = example_batch[self.key].astype(jnp.int32)
    params = self.model.init(rng, autoregressive.shift_right(tokens, self.start_token),
                             **self.conditioning(example_batch.get("label")))["params"]
    return init_train_state(params, self.optimizer, self.config.train.ema_decay)

  def loss(self, params, model_state, batch: dict, rng: jax.Array, step: jax.Array):
    return self.objective(params, batch, rng)

  def eval_step(self, state: TrainState, batch: dict, rng: jax.Array) -> Dict[str, jax.Array]:
    """Per-example ``loss`` = ``bits_per_token`` and ``nll`` (nats per window)."""
    loss, terms = self.objective(state.eval_params, batch)
    return {"loss": loss, **terms}

  def sample(self, state: TrainState, rng: jax.Array, num: int, cached: bool = None,
             **options) -> jax.Array:
    """``num`` windows [num, T] int32 (``cached`` default: ``sample.cached``)."""
    cached = self.config.sample.cached if cached is None else cached
    return self.draw(state.eval_params, rng, num, cached, **options)

  def evaluate(self, state: TrainState, results: Dict[str, np.ndarray], sampler: Sampler,
               rng: jax.Array) -> Dict[str, float]:
    """Test-split ``bits_per_token`` (and ``nll`` per window), ``num_parameters``; where the true
    distribution is known, ``true_bits_per_token``, ``gap_bits_per_token`` and
    ``sample_true_bits_per_token`` (the truth's bits per token of ``eval.num_text_samples``
    samples: near ``true_bits_per_token`` when the samples are typical of the data); conditional
    on a class read off exactly, ``label_accuracy`` (the samples that are of their label's class)
    and ``classes_generated``."""
    metrics = {name: float(np.mean(value)) for name, value in results.items() if name != "label"}
    metrics["num_test_examples"] = len(results["nll"])
    metrics["num_parameters"] = int(sum(p.size for p in jax.tree.leaves(state.params)))
    per_token = self.length * math.log(2)
    samples = np.asarray(sampler(rng, self.config.eval.num_text_samples))
    if self.info.entropy is not None:
      metrics["true_bits_per_token"] = self.info.entropy / per_token
      metrics["gap_bits_per_token"] = metrics["bits_per_token"] - metrics["true_bits_per_token"]
    if self.info.log_prob is not None:
      true_nll = -np.mean(self.info.log_prob(samples))
      metrics["sample_true_bits_per_token"] = float(true_nll / per_token)
    if self.num_classes and self.info.classify is not None:
      classes = self.info.classify(samples)
      labels = evaluation.chunk_labels(len(samples), self.config.eval.batch_size, self.num_classes)
      metrics["label_accuracy"] = float(np.mean(classes == labels))
      metrics["classes_generated"] = len(set(classes.tolist()))
    self.drawn = samples
    return metrics

  def report(self, metrics: Dict[str, float], workdir: str) -> None:
    """``evaluate``'s samples: text one per paragraph in ``samples.txt``; audio one after another
    in ``samples.wav``, and the first's spectrogram in ``samples_spectrogram.png``."""
    path = os.path.join(workdir, "samples")
    if self.info.sample_rate:
      logging_lib.save_audio(self.drawn, path + ".wav", self.info.decode, self.info.sample_rate)
      logging_lib.save_spectrogram(self.info.decode(self.drawn[0]), path + "_spectrogram.png",
                                   self.info.sample_rate)
    else:
      logging_lib.save_text(self.drawn, path + ".txt", self.info.decode)


def make_experiment(config: ml_collections.ConfigDict) -> SequenceExperiment:
  return SequenceExperiment(config)
