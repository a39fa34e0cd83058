"""Datasets as deterministic, resumable, per-process grain streams of numpy batches.

``load(name, split, batch_size, ...)`` is the one entry point; ``dataset_info(name)`` says
what a dataset is. Importing this package registers every dataset without importing
TensorFlow (TFDS datasets import it when first read).
"""

# Imported for their registrations of the datasets:
from jaxgen.data import audio, embedded, markov, synthetic, text, tfds_sources, tones  # noqa: F401
from jaxgen.data.loader import Stream, load
from jaxgen.data.sources import DATASETS, DatasetInfo, dataset_info, dataset_names

__all__ = ["DATASETS", "DatasetInfo", "Stream", "dataset_info", "dataset_names", "load"]
