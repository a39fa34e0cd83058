import os
import warnings

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

from jaxgen.core import checkpoint as checkpoint_lib
from jaxgen.core.experiment import init_train_state


def make_state(seed=0, ema=0.0):
  keys = jax.random.split(jax.random.PRNGKey(seed), 2)
  params = {"dense": {"kernel": jax.random.normal(keys[0], (3, 4)), "bias": jnp.zeros(4)},
            "scale": jax.random.normal(keys[1], ())}
  return init_train_state(params, optax.adam(1e-3), ema)


def assert_trees_equal(a, b):
  for x, y in zip(jax.tree.leaves(a), jax.tree.leaves(b)):
    np.testing.assert_array_equal(np.asarray(x), np.asarray(y))


def test_round_trip_restores_state_data_position_and_meta(tmp_path):
  state = make_state(ema=0.99).replace(step=jnp.asarray(7, jnp.int32))
  checkpointer = checkpoint_lib.Checkpointer(str(tmp_path / "checkpoints"), max_to_keep=2)
  checkpointer.save(7, state, {"batches": 7}, {"train_key": [1, 2]})
  checkpointer.close()

  target = make_state(seed=1, ema=0.99)  # Different values, same structure.
  reader = checkpoint_lib.Checkpointer(str(tmp_path / "checkpoints"))
  restored, data_state, meta = reader.restore(target)
  reader.close()
  assert_trees_equal(restored, state)
  assert int(restored.step) == 7
  assert data_state == {"batches": 7}
  assert meta["train_key"] == [1, 2] and meta["step"] == 7 and "jaxgen_version" in meta


def test_keeps_only_the_newest_and_restores_none_when_empty(tmp_path):
  checkpointer = checkpoint_lib.Checkpointer(str(tmp_path / "checkpoints"), max_to_keep=2)
  assert checkpointer.restore(make_state()) is None
  for step in (1, 2, 3):
    checkpointer.save(step, make_state(step), {"batches": step}, {})
  checkpointer.wait()
  assert sorted(checkpointer.manager.all_steps()) == [2, 3]
  checkpointer.close()


def test_unreadable_latest_falls_back_to_previous_and_keeps_the_evidence(tmp_path):
  directory = tmp_path / "checkpoints"
  checkpointer = checkpoint_lib.Checkpointer(str(directory), max_to_keep=3)
  checkpointer.save(1, make_state(1), {"batches": 1}, {})
  checkpointer.save(2, make_state(2), {"batches": 2}, {})
  checkpointer.close()
  for root, _, files in os.walk(directory / "2" / "state"):
    for name in files:
      with open(os.path.join(root, name), "wb") as f:
        f.write(b"garbage")

  reader = checkpoint_lib.Checkpointer(str(directory))
  with pytest.warns(UserWarning, match="checkpoint step 2 .* could not be read"):
    restored, data_state, _ = reader.restore(make_state(5))
  reader.close()
  assert data_state == {"batches": 1}
  assert_trees_equal(restored.params, make_state(1).params)
  assert (tmp_path / "checkpoints_unreadable" / "2").is_dir()


def test_merge_matching_takes_matching_leaves_and_reports_the_rest():
  fresh = {"encoder": {"kernel": jnp.zeros((2, 3))}, "head": {"kernel": jnp.zeros((3, 5))}}
  loaded = {"encoder": {"kernel": np.ones((2, 3), np.float32)},
            "head": {"kernel": np.ones((3, 7), np.float32)}}
  params, taken, initialised = checkpoint_lib.merge_matching(fresh, loaded)
  np.testing.assert_array_equal(params["encoder"]["kernel"], np.ones((2, 3)))
  np.testing.assert_array_equal(params["head"]["kernel"], np.zeros((3, 5)))
  assert taken == ["['encoder']['kernel']"] and initialised == ["['head']['kernel']"]


@pytest.mark.parametrize("read_only", [True, False])
def test_a_restore_into_another_structure_moves_nothing_and_says_why(tmp_path, read_only):
  """A checkpoint that does not fit the state the (overridden) config builds is another model,
  not corruption: one error naming the differing leaves, from orbax's metadata, before any read;
  every step stays where training finds it."""
  directory = tmp_path / "checkpoints"
  checkpointer = checkpoint_lib.Checkpointer(str(directory), max_to_keep=3)
  checkpointer.save(1, make_state(1), {"batches": 1}, {})
  checkpointer.save(2, make_state(2), {"batches": 2}, {})
  checkpointer.close()
  other = make_state(5).replace(model_state={"weights": jnp.zeros(8)})  # an added state entry
  wider = jax.tree.map(lambda x: jnp.zeros((*x.shape[:-1], x.shape[-1] + 1), x.dtype)
                       if x.ndim else x, make_state(5))
  reader = checkpoint_lib.Checkpointer(str(directory))
  with warnings.catch_warnings():
    warnings.simplefilter("error")  # no attempt to read, so no warning either
    with pytest.raises(checkpoint_lib.CheckpointError,
                       match=r"step 2 .* another model .*model_state/weights: only in the config"
                             r".*nothing was moved"):
      reader.restore(other, read_only=read_only)
    with pytest.raises(checkpoint_lib.CheckpointError, match=r"saved \(\d+,\) float32, config"):
      reader.restore(wider, read_only=read_only)
  restored, data_state, _ = reader.restore(make_state(5), read_only=True)
  reader.close()
  assert data_state == {"batches": 2} and int(restored.step) == 0
  assert_trees_equal(restored.params, make_state(2).params)
  assert sorted(os.listdir(directory)) == ["1", "2"]
  assert not (tmp_path / "checkpoints_unreadable").exists()
