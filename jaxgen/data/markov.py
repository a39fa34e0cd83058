"""``markov_text``: windows of a seeded random order-k Markov chain, whose entropy is exact.

The chain has an alphabet of A = 8 symbols (shown as the letters ``a``..``h``) and order k = 3:
each context of the last k symbols has its own next-symbol distribution, drawn once from a
symmetric Dirichlet(0.5) by ``np.random.default_rng(MARKOV_SEED)``, so some contexts are nearly
deterministic and others nearly uniform. An example is a window of T = 64 symbols whose first k
come from the chain's stationary distribution over contexts, so every window is a stretch of
the chain in equilibrium. Splits (20,000 train, 2,000 validation, 2,000 test windows) are drawn
from ``np.random.default_rng([MARKOV_SEED, stream])``, the same on every machine.

What a model is measured against, exactly (``DatasetInfo.log_prob`` and ``entropy``):
``log P(window) = log pi(x_1..x_k) + sum_{t > k} log P(x_t | x_{t-k}..x_{t-1})`` and the window's
entropy ``H(pi) + (T - k) H_rate``, where ``H_rate = sum_c pi(c) H(P(. | c))`` is the chain's
entropy rate. A model's bits/char over windows cannot go below ``entropy / (T ln 2)``.
"""

import dataclasses
import functools
import numpy as np

from jaxgen.data.sources import DATASETS, ArrayRecords, DatasetInfo, Source
from jaxgen.errors import DataError

MARKOV_SEED = 33
ALPHABET = "abcdefgh"
ORDER = 3
WINDOW = 64
NUM_EXAMPLES = {"train": 20_000, "validation": 2_000, "test": 2_000}
_SPLIT_STREAMS = {"train": 0, "test": 1, "validation": 2}


@dataclasses.dataclass(frozen=True)
class MarkovChain:
  """An order-``order`` chain over ``num_symbols`` symbols. A context c = (x_1..x_k) is the index
  ``sum_i x_i A^(k - i)``; ``transitions[c]`` is P(next | c): [A^k, A]."""
  transitions: np.ndarray
  order: int

  @property
  def num_symbols(self) -> int:
    return self.transitions.shape[1]

  def next_context(self, context: np.ndarray, symbol: np.ndarray) -> np.ndarray:
    """The context after ``symbol`` follows ``context`` (int arrays of one shape)."""
    return (context * self.num_symbols + symbol) % self.num_symbols**self.order

  @functools.cached_property
  def stationary(self) -> np.ndarray:
    """pi over contexts [A^k] (float64): the left eigenvector of the context transition matrix
    for eigenvalue 1, by power iteration from uniform (the chain is ergodic: every entry of
    ``transitions`` is positive)."""
    num_contexts = len(self.transitions)
    contexts = np.arange(num_contexts)
    pi = np.full(num_contexts, 1.0 / num_contexts)
    for _ in range(10_000):
      new = np.zeros(num_contexts)
      for symbol in range(self.num_symbols):
        np.add.at(new, self.next_context(contexts, symbol), pi * self.transitions[:, symbol])
      if np.abs(new - pi).max() < 1e-15:
        break
      pi = new
    return new

  @functools.cached_property
  def entropy_rate(self) -> float:
    """``H_rate = sum_c pi(c) H(P(. | c))`` in nats per symbol."""
    p = self.transitions
    return float(-np.sum(self.stationary[:, None] * p * np.log(p)))

  def window_entropy(self, length: int) -> float:
    """Entropy of ``length`` consecutive symbols in equilibrium in nats:
    ``H(pi) + (T - k) H_rate``."""
    pi = self.stationary
    return float(-np.sum(pi * np.log(pi))) + (length - self.order) * self.entropy_rate

  def sample(self, rng: np.random.Generator, num: int, length: int) -> np.ndarray:
    """``num`` windows in equilibrium: uint8 [num, length]."""
    context = rng.choice(len(self.stationary), size=num, p=self.stationary)
    symbols = np.zeros((num, length), np.uint8)
    for i in range(self.order):  # the first k symbols spell out the context
      symbols[:, i] = context // self.num_symbols**(self.order - 1 - i) % self.num_symbols
    cumulative = np.cumsum(self.transitions, axis=1)
    for t in range(self.order, length):
      u = rng.random(num)[:, None]
      symbol = np.minimum((u > cumulative[context]).sum(1), self.num_symbols - 1)
      symbols[:, t] = symbol
      context = self.next_context(context, symbol)
    return symbols

  def log_prob(self, windows: np.ndarray) -> np.ndarray:
    """Exact ``log P(window)`` in nats: windows int [N, T] -> float64 [N]."""
    windows = np.asarray(windows, np.int64)
    context = np.zeros(len(windows), np.int64)
    for i in range(self.order):
      context = context * self.num_symbols + windows[:, i]
    total = np.log(self.stationary[context])
    for t in range(self.order, windows.shape[1]):
      total = total + np.log(self.transitions[context, windows[:, t]])
      context = self.next_context(context, windows[:, t])
    return total


def _chain() -> MarkovChain:
  rng = np.random.default_rng(MARKOV_SEED)
  transitions = rng.dirichlet(np.full(len(ALPHABET), 0.5), size=len(ALPHABET)**ORDER)
  transitions = np.maximum(transitions, 1e-6)  # ergodic, and log P finite everywhere
  transitions /= transitions.sum(1, keepdims=True)
  transitions.flags.writeable = False
  return MarkovChain(transitions, ORDER)


MARKOV_CHAIN = _chain()


def decode(tokens: np.ndarray) -> str:
  """Symbols [T] -> their letters."""
  return "".join(ALPHABET[int(t)] for t in tokens)


def encode(text: str) -> list:
  """Letters -> their symbols."""
  unknown = sorted(set(text) - set(ALPHABET))
  if unknown:
    raise DataError(f"markov_text's alphabet is {ALPHABET!r}; got {''.join(unknown)!r}")
  return [ALPHABET.index(letter) for letter in text]


MARKOV_TEXT = DatasetInfo(
    name="markov_text", kind="sequence", key="tokens", shape=(WINDOW,), num_levels=len(ALPHABET),
    num_classes=None, num_examples=dict(NUM_EXAMPLES), log_prob=MARKOV_CHAIN.log_prob,
    entropy=MARKOV_CHAIN.window_entropy(WINDOW), decode=decode, encode=encode)


@functools.cache
def _split(split: str) -> ArrayRecords:
  windows = MARKOV_CHAIN.sample(np.random.default_rng([MARKOV_SEED, _SPLIT_STREAMS[split]]),
                                NUM_EXAMPLES[split], WINDOW)
  windows.flags.writeable = False
  return ArrayRecords(windows, None)


DATASETS.register("markov_text")(Source(describe=lambda: MARKOV_TEXT,
                                        read=lambda split, data_dir: _split(split)))
