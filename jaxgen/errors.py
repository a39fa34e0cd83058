"""Errors a user can act on. The CLI prints them as one line (``--debug`` shows the traceback)."""


class JaxgenError(Exception):
  """Base class of every error that is the user's input, not a bug."""


class ConfigError(JaxgenError, ValueError):
  """A config field is missing, of the wrong type, out of range, or conflicts with another."""


class UnknownNameError(JaxgenError, KeyError):
  """A name (family, dataset, loss, ...) is not registered; the message lists the valid ones."""

  def __str__(self):  # KeyError would quote the message.
    return str(self.args[0])


class DataError(JaxgenError, ValueError):
  """Input data of the wrong shape, dtype or range, or with non-finite values."""


class NonFiniteError(JaxgenError, FloatingPointError):
  """A loss or gradient became NaN/Inf; the run stops with its last good checkpoint intact."""


class CheckpointError(JaxgenError):
  """No checkpoint where one is needed, or one that cannot be read."""


class WorkdirError(JaxgenError):
  """A workdir lacks a file a results command reads, or holds one that is not valid JSON."""


class TrainingInterrupted(JaxgenError):
  """SIGINT/SIGTERM stopped training (its checkpoint saved when a step had been made); the CLI
  exits with 128 + the signal number, so ``train && eval`` does not evaluate a partial run."""

  def __init__(self, message: str, signal_number: int):
    super().__init__(message)
    self.exit_code = 128 + signal_number
