"""The sequence family: the Markov data's exact entropy, causality, filtering, cached sampling."""

import itertools
import math
import os
import re

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import conftest
from conftest import EXPERIMENTS
from jaxgen import data
from jaxgen.core import config as config_lib
from jaxgen.data import audio, markov, text, tones
from jaxgen.errors import JaxgenError
from jaxgen.families.sequence import model as sequence_model
from jaxgen.families.sequence.experiment import SequenceExperiment
from jaxgen.nn import attention
from jaxgen.nn import autoregressive as sampling
from jaxgen.nn.autoregressive import shift_right
from jaxgen.nn.transformer import TransformerLM


def experiment(name, *overrides):
  config = config_lib.load_config(os.path.join(EXPERIMENTS, f"{name}.py"))
  config_lib.apply_overrides(config, ["model.width=16", *overrides])
  return SequenceExperiment(config)


MODELS = {"transformer": ("transformer_markov_text", "model.num_heads=2"),
          "transformer_rotary": ("transformer_markov_text", "model.num_heads=2",
                                 "model.positions='rotary'"),
          "lstm": ("lstm_markov_text",),
          "wavenet": ("wavenet_speech", "model.num_layers=3", "data.name=markov_text")}


def test_markov_windows_are_a_distribution_whose_entropy_is_the_closed_form():
  """Every window of k + 1 = 4 symbols enumerated: the probabilities sum to 1 and their entropy
  is H(pi) + H_rate; pi is stationary; sampled windows match those probabilities."""
  chain = markov.MARKOV_CHAIN
  windows = np.asarray(list(itertools.product(range(chain.num_symbols), repeat=chain.order + 1)))
  log_p = chain.log_prob(windows)
  assert abs(np.exp(log_p).sum() - 1.0) < 1e-12
  assert abs(-np.sum(np.exp(log_p) * log_p) - chain.window_entropy(chain.order + 1)) < 1e-10
  # Stationary: the context after one step is distributed as pi again.
  contexts = np.arange(len(chain.stationary))
  after = np.zeros_like(chain.stationary)
  for symbol in range(chain.num_symbols):
    np.add.at(after, chain.next_context(contexts, symbol),
              chain.stationary * chain.transitions[:, symbol])
  np.testing.assert_allclose(after, chain.stationary, atol=1e-14)
  # The sampler draws from log_prob: the mean log-probability of its windows is minus the
  # entropy, within 4 standard errors.
  drawn = chain.log_prob(chain.sample(np.random.default_rng(0), 20_000, markov.WINDOW))
  entropy = chain.window_entropy(markov.WINDOW)
  assert abs(-drawn.mean() - entropy) < 4 * drawn.std() / math.sqrt(len(drawn))


def test_markov_text_streams_int_tokens_and_its_alphabet_round_trips():
  info = data.dataset_info("markov_text")
  batch = next(iter(data.load("markov_text", "test", 8, repeat=False)))
  assert batch["tokens"].dtype == np.int32 and batch["tokens"].shape == (8, markov.WINDOW)
  text = info.decode(batch["tokens"][0])
  assert info.encode(text) == batch["tokens"][0].tolist()
  with pytest.raises(JaxgenError, match="alphabet is 'abcdefgh'; got 'xz'"):
    info.encode("abzx")


def test_filter_logits_keeps_the_top_k_and_the_nucleus():
  rng = np.random.default_rng(0)
  logits = rng.normal(size=(6, 20)).astype(np.float32)
  for top_k, top_p, temperature in [(5, 1.0, 1.0), (0, 0.9, 0.7), (3, 0.5, 1.3), (0, 1.0, 2.0)]:
    got = np.asarray(sampling.filter_logits(jnp.asarray(logits), temperature, top_k, top_p))
    for row, kept in zip(logits / temperature, got):
      keep = np.ones(len(row), bool)
      if top_k:
        keep &= row >= np.sort(row)[-top_k]
      order = np.argsort(-row)  # the nucleus of what top-k left (as Hugging Face filters)
      probs = np.where(keep[order], np.exp(row[order] - row.max()), 0.0)
      probs /= probs.sum()
      nucleus = order[:np.searchsorted(np.cumsum(probs), top_p) + 1] if top_p < 1 else order
      keep &= np.isin(np.arange(len(row)), nucleus)
      np.testing.assert_array_equal(np.isfinite(kept), keep)
      np.testing.assert_allclose(kept[keep], row[keep], rtol=1e-6)


def test_rotary_positions_rotate_pairs_so_scores_depend_on_distance_only():
  """Against numpy's 2-D rotations of the pairs (x_i, x_{i + Dh/2}) by pos * 10000^(-2i / Dh); a
  query-key product is the same at positions (m, n) and (m + s, n + s)."""
  q, k = np.random.default_rng(0).standard_normal((2, 1, 1, 1, 8)).astype(np.float32)
  angle = 5 * 10000.0 ** (-np.arange(4) / 4)
  c, s_ = np.cos(angle), np.sin(angle)
  expected = np.concatenate([q[..., :4] * c - q[..., 4:] * s_, q[..., :4] * s_ + q[..., 4:] * c], -1)
  np.testing.assert_allclose(attention.rotary(q, jnp.array([5])), expected, rtol=1e-5, atol=1e-6)
  score = lambda m, n: float(jnp.sum(attention.rotary(q, jnp.array([m]))
                                     * attention.rotary(k, jnp.array([n]))))
  assert score(7, 3) == pytest.approx(score(27, 23), rel=1e-4)
  assert score(7, 3) != pytest.approx(score(7, 4), rel=1e-2)


@pytest.mark.parametrize("name", sorted(MODELS))
def test_each_output_depends_only_on_earlier_tokens_by_gradients(name):
  """d logits_t / d (embedded input s) is zero for every s > t and not for s = t: output t sees
  the start token and tokens < t only."""
  e = experiment(*MODELS[name])
  tokens = jax.random.randint(jax.random.PRNGKey(0), (2, e.length), 0, e.vocab_size)
  inputs = shift_right(tokens, e.start_token)
  variables = jax.jit(e.model.init)(jax.random.PRNGKey(1), inputs)  # eager: an op-by-op compile
  perturbations = jax.tree.map(jnp.zeros_like, variables["perturbations"])

  def output(perturbations, t):
    logits, _ = e.model.apply({"params": variables["params"], "perturbations": perturbations},
                              inputs)
    return jnp.sum(logits[:, t] * jnp.arange(e.vocab_size))

  outputs = jnp.asarray([0, 5, e.length - 1])
  grads = jax.jit(jax.vmap(jax.grad(output), (None, 0)))(perturbations, outputs)["inputs"]
  reach = np.asarray(jnp.abs(grads).sum((1, 3)))  # [outputs, T]
  for t, row in zip(np.asarray(outputs), reach):
    assert (row[t + 1:] == 0).all() and row[t] > 0


@pytest.mark.parametrize("name", sorted(MODELS))
def test_cached_sampling_draws_the_uncached_samplers_tokens(name):
  """Same key: the cache (keys and values, LSTM states) changes nothing but the work; the prompt
  is kept, and the samples' log-probabilities are the model's."""
  e = experiment(*MODELS[name], "sample.prompt='abca'", "sample.top_k=6", "sample.top_p=0.95",
                 "sample.temperature=0.9")
  state = jax.jit(e.init)(jax.random.PRNGKey(0), {"tokens": jnp.zeros((2, e.length), jnp.int32)})
  draw = jax.jit(lambda rng, cached: e.sample(state, rng, 4, cached=cached), static_argnums=1)
  cached, uncached = draw(jax.random.PRNGKey(3), True), draw(jax.random.PRNGKey(3), False)
  np.testing.assert_array_equal(cached, uncached)
  assert (np.asarray(cached[:, :4]) == np.asarray([0, 1, 2, 0])).all()
  assert len({tuple(row) for row in np.asarray(cached)}) == 4  # the rows differ


def test_a_prompt_as_long_as_the_window_is_a_one_line_error():
  with pytest.raises(JaxgenError, match="sample.prompt has 64 tokens; a window holds 64"):
    experiment("transformer_markov_text", f"sample.prompt='{'a' * 64}'")


def test_fortunes_splits_hold_disjoint_entries_in_whole_windows(tmp_path):
  entries = [f"fortune number {i:03d}\n" + "a wise saying, " * (i % 7 + 3) for i in range(200)]
  (tmp_path / "sayings").write_text("\n%\n".join(entries) + "\n%\n")
  (tmp_path / "sayings.dat").write_bytes(b"\0" * 8)  # the package's index: not text
  splits = {split: text.split_text(split, str(tmp_path)) for split in data.sources.SPLITS}
  found = {split: {int(n) for n in re.findall(rb"number (\d{3})", t)}
           for split, t in splits.items()}
  assert all(len(t) % text.WINDOW == 0 and t for t in splits.values())
  assert not (found["train"] & found["test"] or found["train"] & found["validation"]
              or found["test"] & found["validation"])
  assert len(found["train"]) >= 170 and b"\n%\n" in splits["test"]
  batch = next(iter(data.load("fortunes", "test", 2, repeat=False, data_dir=str(tmp_path))))
  assert bytes(batch["tokens"][0].astype(np.uint8)) == splits["test"][:text.WINDOW]
  assert text.decode(np.asarray(text.encode("café"))) == "café"


def test_mu_law_inverts_within_its_step_and_follows_g711s_curve():
  audio_in = np.linspace(-1, 1, 10_001)
  codes = audio.mu_law_encode(audio_in)
  assert codes.dtype == np.uint8 and codes.min() == 0 and codes.max() == 255
  assert (np.diff(codes.astype(int)) >= 0).all()  # monotone
  compressed = np.sign(audio_in) * np.log1p(255 * np.abs(audio_in)) / np.log1p(255)
  np.testing.assert_array_equal(codes, np.round((compressed + 1) * 127.5))
  back = audio.mu_law_decode(codes)  # within one code step, which is finest near silence
  steps = np.abs(np.diff(audio.mu_law_decode(np.arange(256))))
  assert np.abs(back - audio_in).max() <= steps.max()
  quiet = np.abs(audio_in) < 0.01
  assert np.abs(back - audio_in)[quiet].max() < 5e-4 and steps.min() < 1e-3 < steps.max() / 40


def test_speech_is_described_without_its_file_and_its_absence_is_a_one_line_error(tmp_path,
                                                                                  monkeypatch):
  monkeypatch.setattr(audio, "DEFAULT_DIR", str(tmp_path / "nowhere"))
  monkeypatch.delenv("JAXGEN_DATA_DIR", raising=False)
  info = data.dataset_info("speech")
  assert (info.shape, info.num_levels, info.sample_rate) == ((4000,), 256, 8000)
  with pytest.raises(JaxgenError, match="no speech.npz in .*scripts/make_speech.py"):
    data.load("speech", "test", 2, data_dir=str(tmp_path))


def test_tones_play_their_notes_and_the_spectrum_reads_each_one_back():
  """The notes are the equal-tempered C major scale C4..E5; ``classify`` returns every window's
  label on every split, and a window of another note's tone reads as that note."""
  np.testing.assert_allclose(tones.FREQUENCIES, [261.63, 293.66, 329.63, 349.23, 392.00, 440.00,
                                                 493.88, 523.25, 587.33, 659.26], atol=0.01)
  info = data.dataset_info("tones")
  assert (info.shape, info.num_levels, info.num_classes, info.sample_rate) == ((2000,), 256, 10,
                                                                                8000)
  for split in data.sources.SPLITS:
    batch = next(iter(data.load("tones", split, 64, repeat=False)))
    np.testing.assert_array_equal(tones.classify(batch["tokens"]), batch["label"])
  labels = np.arange(10)[::-1]
  played = audio.mu_law_encode(tones.synthesize(labels, np.random.default_rng(0)))
  np.testing.assert_array_equal(tones.classify(played), labels)


CONDITIONED_NETWORKS = {
    "wavenet": sequence_model.WaveNet(vocab_size=7, max_length=24, width=8, num_layers=3,
                                      num_stacks=1, skip_features=8, num_classes=3),
    "transformer": TransformerLM(vocab_size=7, max_length=24, width=8, num_layers=2, num_heads=2,
                                 num_classes=3)}


@pytest.mark.parametrize("name", sorted(CONDITIONED_NETWORKS))
def test_a_conditioned_network_stays_causal_samples_its_labels_with_its_cache_and_uses_them(name):
  """Conditioning adds to every layer (WaveNet) or every input (the Transformer), so the label
  moves every output; it adds no path from later tokens (gradients), and the cached sampler still
  draws the full re-run's tokens."""
  net = CONDITIONED_NETWORKS[name]
  tokens = jax.random.randint(jax.random.PRNGKey(0), (2, 24), 0, 7)
  inputs, labels = shift_right(tokens, 7), jnp.array([0, 2])
  variables = jax.jit(net.init)(jax.random.PRNGKey(1), inputs, labels=labels)
  params = conftest.perturbed_params(variables["params"], 0.5)
  logits = jax.jit(lambda l: net.apply({"params": params}, inputs, labels=l)[0])
  assert np.abs(np.asarray(logits(labels) - logits(labels[::-1]))).min() > 0

  def output(perturbations, t):
    out, _ = net.apply({"params": params, "perturbations": perturbations}, inputs, labels=labels)
    return jnp.sum(out[:, t] * jnp.arange(7))

  zeros = jax.tree.map(jnp.zeros_like, variables["perturbations"])
  reach = np.abs(np.asarray(jax.jit(jax.grad(output), static_argnums=1)(zeros, 10)["inputs"]))
  assert reach[:, 11:].sum() == 0 and reach[:, 10].sum() > 0

  def draw(cached):
    apply = lambda x, cache, position: net.apply({"params": params}, x, cache, position,
                                                 labels=labels)
    return sampling.draw(apply, net.empty_cache, jnp.zeros((2, 0), jnp.int32), 24, 7,
                         jax.random.PRNGKey(3), cached=cached)

  np.testing.assert_array_equal(jax.jit(draw, static_argnums=0)(True),
                                jax.jit(draw, static_argnums=0)(False))


def test_label_accuracy_scores_samples_by_the_note_they_play_and_bad_conditioning_is_refused():
  """evaluate asks the sampler for eval.num_text_samples windows, drawn eval.batch_size at a time
  with labels cycling 0..9 within each call (sample_labels), and reads each one's note off its
  spectrum."""
  e = experiment("wavenet_tones", "model.num_layers=2", "eval.num_text_samples=20",
                 "eval.batch_size=8")
  state = jax.jit(e.init)(jax.random.PRNGKey(0), {"tokens": jnp.zeros((2, 2000), jnp.int32),
                                                  "label": jnp.zeros((2,), jnp.int32)})
  results = {"nll": np.ones(4), "bits_per_token": np.ones(4), "label": np.arange(4)}
  cycle = np.array([*range(8), *range(8), *range(4)])  # 3 calls: 8 + 8 + 4
  for played, accuracy, classes in ((cycle, 1.0, 8), (np.where(cycle < 4, cycle, 0), 0.6, 4)):
    windows = audio.mu_law_encode(tones.synthesize(played, np.random.default_rng(1)))
    metrics = e.evaluate(state, results, lambda rng, num: windows[:num], jax.random.PRNGKey(0))
    assert (metrics["label_accuracy"], metrics["classes_generated"]) == (accuracy, classes)
    assert "label" not in metrics
  with pytest.raises(JaxgenError, match="model.conditional needs labels; 'markov_text' has none"):
    experiment("wavenet_tones", "data.name=markov_text")
  with pytest.raises(JaxgenError, match="the lstm network takes no labels"):
    experiment("wavenet_tones", "model.name=lstm")
