"""A user-defined dataset with a NaN in it, named by dotted path in test_reliability.py."""

import numpy as np

from jaxgen.data.sources import ArrayRecords, DatasetInfo, Source

_INFO = DatasetInfo(name="nan_points", kind="points", key="point", shape=(2,), num_levels=None,
                    num_classes=None, num_examples={"train": 64, "validation": 64, "test": 64})


def _read(split, data_dir):
  points = np.zeros((64, 2), np.float32)
  points[5, 1] = np.nan
  return ArrayRecords(points, None)


NAN_POINTS = Source(describe=lambda: _INFO, read=_read)
