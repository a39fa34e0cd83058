"""JAX's persistent compilation cache, on by default: a second launch of the same model (a resume,
a repeat, ``jaxgen eval`` after training) loads its compiled steps from disk instead of compiling
them again.

The directory is ``$JAXGEN_COMPILATION_CACHE_DIR``, else JAX's own setting
(``$JAX_COMPILATION_CACHE_DIR``), else ``<$JAXGEN_CACHE_DIR or ~/.cache/jaxgen>/xla``; ``off``
turns it off. Each launch's first train row in ``metrics.jsonl`` says how it went
(``compile_cache_hits``, ``compile_cache_misses``, ``first_step_seconds``). JAX keys each entry
on the program, the devices and the compiler's version, so an entry is used only where it is the
same executable; a different machine or jaxlib just misses. JAX runs what the cache holds: keep the directory private
to its user (JAX's own warning). Programs that compile in under a second are not stored.
"""

import os

import jax
from jax.experimental.compilation_cache import compilation_cache as jax_cache

ENV = "JAXGEN_COMPILATION_CACHE_DIR"
_EVENTS = {"/jax/compilation_cache/cache_hits": "hits",
           "/jax/compilation_cache/cache_misses": "misses"}
_counts = {"hits": 0, "misses": 0}
_listening = False


def directory() -> str | None:
  """Where the cache lives (None: off)."""
  from jaxgen.core.evaluation import default_cache_dir
  path = (os.environ.get(ENV) or jax.config.jax_compilation_cache_dir
          or os.path.join(default_cache_dir(), "xla"))
  return None if path == "off" else path


def enable() -> str | None:
  """Points JAX at ``directory()`` (before the first compilation, or the cache misses it) and
  starts counting hits and misses; returns the directory."""
  global _listening
  path = directory()
  if path is None or jax.config.jax_compilation_cache_dir == path:
    return path
  jax.config.update("jax_compilation_cache_dir", path)
  jax_cache.reset_cache()  # a cache already opened elsewhere is closed; the next use opens path
  if not _listening:
    jax.monitoring.register_event_listener(_count)
    _listening = True
  return path


def counts() -> dict:
  """``{"hits": n, "misses": m}`` of the cache in this process so far."""
  return dict(_counts)


def _count(event: str, **kwargs) -> None:
  if event in _EVENTS:
    _counts[_EVENTS[event]] += 1
