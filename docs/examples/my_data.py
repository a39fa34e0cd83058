"""A user's own dataset, named by dotted path without touching jaxgen (docs/extending.md).

``noisy_circle``: points uniform on the unit circle plus N(0, 0.05^2) noise per coordinate, a
fixed sample of 20,000 training, 2,000 validation and 2,000 test points (the same on every
machine, whatever the run's seed: the loader shuffles, the source only stores).

  PYTHONPATH=docs/examples jaxgen train --config experiments/realnvp_moons.py:smoke \
      --workdir runs/circle --config.data.name=my_data:noisy_circle
"""

import functools

import numpy as np

from jaxgen.data.sources import ArrayRecords, DatasetInfo, Source

NUM_EXAMPLES = {"train": 20_000, "validation": 2_000, "test": 2_000}
NOISE_STD = 0.05

INFO = DatasetInfo(name="noisy_circle", kind="points", key="point", shape=(2,), num_levels=None,
                   num_classes=None, num_examples=NUM_EXAMPLES)


@functools.cache
def _split(split: str) -> ArrayRecords:
  """-> points float32 [N, 2], no labels. Cached and read-only: the loader shares the array."""
  rng = np.random.default_rng([2024, list(NUM_EXAMPLES).index(split)])
  angles = rng.uniform(0.0, 2 * np.pi, NUM_EXAMPLES[split])
  points = np.stack([np.cos(angles), np.sin(angles)], axis=1)
  points = (points + NOISE_STD * rng.standard_normal(points.shape)).astype(np.float32)
  points.flags.writeable = False
  return ArrayRecords(points, None)


noisy_circle = Source(describe=lambda: INFO, read=lambda split, data_dir: _split(split))
