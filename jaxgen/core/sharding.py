"""The device mesh, batch sharding and multi-host start-up.

One mesh axis, ``data``: the global batch is split along it, the train state is replicated.
The same code runs on 1 CPU device, N simulated CPU devices
(``XLA_FLAGS=--xla_force_host_platform_device_count=N``), a GPU, and a multi-host TPU slice.
"""

import os
from typing import Any, Iterator

import jax
import numpy as np
from jax.experimental import multihost_utils
from jax.sharding import Mesh, NamedSharding, PartitionSpec

from jaxgen.errors import ConfigError

DATA_AXIS = "data"

# Environment variables that start multi-host training without a config change (a launcher
# such as a SLURM script or the two-process test sets them per process).
ENV_COORDINATOR = "JAXGEN_COORDINATOR_ADDRESS"
ENV_NUM_PROCESSES = "JAXGEN_NUM_PROCESSES"
ENV_PROCESS_ID = "JAXGEN_PROCESS_ID"


def initialize_distributed(distributed_config) -> bool:
  """Calls ``jax.distributed.initialize`` when the config or the environment asks for it.

  Must run before any JAX computation. On TPU pods and SLURM clusters ``enabled=True`` with
  no address lets JAX detect the cluster; otherwise the address, process count and id come
  from the config or from ``JAXGEN_*`` environment variables. Returns whether it initialised.
  """
  address = os.environ.get(ENV_COORDINATOR) or distributed_config.coordinator_address
  if not (distributed_config.enabled or address):
    return False
  if jax.distributed.is_initialized():
    return True
  if address:
    jax.distributed.initialize(
        coordinator_address=address,
        num_processes=int(os.environ.get(ENV_NUM_PROCESSES, distributed_config.num_processes)),
        process_id=int(os.environ.get(ENV_PROCESS_ID, distributed_config.process_id)))
  else:
    jax.distributed.initialize()
  return True


def make_mesh() -> Mesh:
  """A 1-D mesh over every device of every process, axis ``data``."""
  return Mesh(np.asarray(jax.devices()), (DATA_AXIS,))


def replicated(mesh: Mesh) -> NamedSharding:
  return NamedSharding(mesh, PartitionSpec())


def batch_sharded(mesh: Mesh) -> NamedSharding:
  """Leading (batch) axis split over ``data``; other axes whole."""
  return NamedSharding(mesh, PartitionSpec(DATA_AXIS))


def check_batch_size(batch_size: int, mesh: Mesh, field: str = "train.batch_size") -> None:
  devices = mesh.devices.size
  if batch_size % devices:
    raise ConfigError(f"{field}={batch_size} is not divisible by the {devices} devices of the "
                      f"mesh; use a multiple of {devices}")


def shard_batch(batch: dict, mesh: Mesh) -> dict:
  """Turns this process's local batch (numpy) into global arrays sharded along ``data``."""
  sharding = batch_sharded(mesh)
  return {k: jax.make_array_from_process_local_data(sharding, np.asarray(v)) for k, v in batch.items()}


def sharded_iterator(iterator, mesh: Mesh) -> Iterator[dict]:
  for batch in iterator:
    yield shard_batch(batch, mesh)


def to_host(tree: Any) -> Any:
  """Fetches (possibly multi-host sharded) arrays as numpy, whole, on every process."""
  if jax.process_count() == 1:
    return jax.device_get(tree)
  return multihost_utils.process_allgather(tree, tiled=True)


def is_main_process() -> bool:
  return jax.process_index() == 0
