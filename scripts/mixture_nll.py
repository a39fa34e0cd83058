"""The exact test NLL of the uniform mixture (an ensemble) of trained likelihood models.

  python scripts/mixture_nll.py W1 W2 ... [--which latest|best]

Each workdir is restored and evaluated on its test split by its family's ``eval_step``, whose
per-example ``nll`` (nats, exact: PixelCNNs, flows) must be a log-likelihood, not a bound. The
mixture ``p(x) = 1/M sum_m p_m(x)`` is itself a normalized model, so its NLL is exact too:

  ``nll(x) = -log 1/M sum_m exp(-nll_m(x))``  (a log-mean-exp over the M models).

The workdirs must have been evaluated on the same examples (same ``data.name`` and test split);
prints each model's mean NLL and the mixture's.
"""

import argparse
from typing import Sequence

import jax
import numpy as np

from jaxgen.core import runner
from jaxgen.eval import samples as eval_samples
from jaxgen.errors import ConfigError


def per_example_nll(workdir: str, which: str = "latest") -> np.ndarray:
  """``nll`` [N] of every test example of ``workdir``'s model, in the eval batches' order."""
  run, state = runner.restore(workdir, which)
  terms = eval_samples.per_example(lambda batch, key: run.eval_step_fn(state, batch, key),
                                   run.eval_batches(), jax.random.PRNGKey(0))
  if "nll" not in terms:
    raise ConfigError(f"{workdir!r}: its family's eval_step reports no per-example 'nll' "
                      f"(it reports {sorted(terms)})")
  return terms["nll"]


def mixture_nll(nlls: np.ndarray) -> np.ndarray:
  """Per-example NLL [N] of the uniform mixture of M models from their NLLs [M, N]."""
  log_p = -np.asarray(nlls, np.float64)
  top = log_p.max(axis=0)
  return -(top + np.log(np.mean(np.exp(log_p - top), axis=0)))


def main(argv: Sequence[str] = None) -> dict:
  parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
  parser.add_argument("workdirs", nargs="+")
  parser.add_argument("--which", default="latest", choices=("latest", "best"))
  args = parser.parse_args(argv)
  nlls = [per_example_nll(workdir, args.which) for workdir in args.workdirs]
  if len({len(n) for n in nlls}) != 1:
    raise ConfigError(f"the workdirs were evaluated on different numbers of test examples: "
                      f"{[len(n) for n in nlls]}")
  result = {workdir: float(n.mean()) for workdir, n in zip(args.workdirs, nlls)}
  result["mixture"] = float(mixture_nll(np.stack(nlls)).mean())
  for name, value in result.items():
    print(f"{value:.4f}  {name}")
  return result


if __name__ == "__main__":
  main()
