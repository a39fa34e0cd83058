"""The shared evaluation library: metrics as functions of features, samples or log-densities.

Every metric validates its inputs (``jaxgen.eval.checks``), reduces in float64 and returns Python
floats; the docstrings give each formula and the reference implementation it follows.
"""

from jaxgen.eval.anomaly import anomaly_auroc
from jaxgen.eval.frechet import (RunningStatistics, fid_from_features, fid_from_statistics,
                                 frechet_distance)
from jaxgen.eval.inception_score import inception_score
from jaxgen.eval.kernel import (gaussian_kernel, kid, kid_subset_indices, mmd2, polynomial_kernel,
                                squared_distances, unbiased_mmd2_from_kernels)
from jaxgen.eval.likelihood import (bits_per_dim_to_nats, data_range_log_det,
                                    dequantized_bits_per_dim, iwae_bound, log_mean_exp,
                                    nats_to_bits_per_dim)
from jaxgen.eval.manifold import density_coverage, precision_recall
from jaxgen.eval.modes import high_quality_frac, mode_coverage, modes_captured
from jaxgen.eval.wasserstein import random_directions, sliced_wasserstein, wasserstein_1d

__all__ = [
    "RunningStatistics",
    "anomaly_auroc",
    "bits_per_dim_to_nats",
    "data_range_log_det",
    "density_coverage",
    "dequantized_bits_per_dim",
    "fid_from_features",
    "fid_from_statistics",
    "frechet_distance",
    "gaussian_kernel",
    "high_quality_frac",
    "inception_score",
    "iwae_bound",
    "kid",
    "kid_subset_indices",
    "log_mean_exp",
    "mmd2",
    "mode_coverage",
    "modes_captured",
    "nats_to_bits_per_dim",
    "polynomial_kernel",
    "precision_recall",
    "random_directions",
    "sliced_wasserstein",
    "squared_distances",
    "unbiased_mmd2_from_kernels",
    "wasserstein_1d",
]
