"""jaxgen: deep generative models in JAX on one runner and one evaluation library."""

__version__ = "0.1.0"
