import pytest

from jaxgen.registry import Registry
from jaxgen.errors import UnknownNameError


def test_get_registered_and_unknown_lists_valid_names():
  registry = Registry("loss")

  @registry.register("b")
  def b():
    return 2

  registry.register("a")(lambda: 1)
  assert registry.get("b") is b
  with pytest.raises(UnknownNameError, match=r"unknown loss 'c'; valid: a, b"):
    registry.get("c")


def test_dotted_path_imports_a_user_function():
  registry = Registry("loss")
  assert registry.get("os.path:join") is __import__("os").path.join
  with pytest.raises(UnknownNameError, match="no attribute"):
    registry.get("os.path:no_such_function")


def test_registering_a_name_twice_is_an_error():
  registry = Registry("loss")
  registry.register("a")(lambda: 1)
  with pytest.raises(ValueError, match="registered twice"):
    registry.register("a")(lambda: 2)
