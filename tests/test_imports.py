"""Imports run one way: errors <- data <- core <- families, with ``jaxgen.eval`` and ``jaxgen.nn``
leaves and ``jaxgen.registry`` a leaf module every layer may use.

The rules are read off the package's source with ``ast`` (every ``import`` statement, also those
inside functions), so a violation is found without importing anything.
"""

import ast
import os

import pytest

from conftest import REPO

# Layer -> the layers its modules may import (besides themselves, ``jaxgen`` and ``jaxgen.errors``).
LEAVES = {"jaxgen.registry"}
ALLOWED = {
    "jaxgen.errors": set(),
    "jaxgen.registry": set(),
    "jaxgen.data": LEAVES,
    "jaxgen.eval": LEAVES,
    "jaxgen.nn": LEAVES,
    "jaxgen.core": LEAVES | {"jaxgen.data", "jaxgen.eval", "jaxgen.nn"},
    "jaxgen.families": LEAVES | {"jaxgen.data", "jaxgen.core", "jaxgen.eval", "jaxgen.nn"},
    "jaxgen.results": LEAVES | {"jaxgen.data", "jaxgen.core", "jaxgen.eval"},
    "jaxgen.cli": LEAVES | {"jaxgen.data", "jaxgen.core", "jaxgen.eval", "jaxgen.results"},
}
# Inside core: nothing a family may import reaches back to the runner.
FAMILY_FORBIDDEN = ("jaxgen.core.runner",)


def layer_of(module: str) -> str:
  """The layer of a dotted module name: ``jaxgen.core.runner`` -> ``jaxgen.core``."""
  return ".".join(module.split(".")[:2])


def family_of(module: str) -> str | None:
  parts = module.split(".")
  return ".".join(parts[:3]) if parts[:2] == ["jaxgen", "families"] and len(parts) > 2 else None


def imported_modules(path: str, module: str) -> list[tuple[int, str]]:
  """(line, module) of every jaxgen import in a file; ``from jaxgen import data`` names
  ``jaxgen.data``, and relative imports are resolved against ``module``."""
  tree = ast.parse(open(path).read(), path)
  package = module if path.endswith("__init__.py") else module.rpartition(".")[0]
  found = []
  for node in ast.walk(tree):
    if isinstance(node, ast.Import):
      found += [(node.lineno, alias.name) for alias in node.names]
    elif isinstance(node, ast.ImportFrom):
      base = node.module or ""
      if node.level:
        base = ".".join(package.split(".")[:len(package.split(".")) - node.level + 1]
                        + ([base] if base else []))
      found += [(node.lineno, f"{base}.{alias.name}" if base == "jaxgen" else base)
                for alias in node.names]
  return [(line, name) for line, name in found if name == "jaxgen" or name.startswith("jaxgen.")]


def import_violations(root: str) -> list[str]:
  """Every import in the ``jaxgen`` package under ``root`` that breaks a rule, one line each."""
  violations = []
  for directory, _, files in os.walk(os.path.join(root, "jaxgen")):
    for name in sorted(files):
      if not name.endswith(".py"):
        continue
      path = os.path.join(directory, name)
      relative = os.path.relpath(path, root)[:-3].replace(os.sep, ".")
      module = relative[:-len(".__init__")] if relative.endswith(".__init__") else relative
      layer = layer_of(module)
      allowed = ALLOWED.get(layer)
      for line, imported in imported_modules(path, module):
        target = layer_of(imported)
        where = f"{os.path.relpath(path, root)}:{line} imports {imported}"
        if imported == "jaxgen" or target in (layer, "jaxgen.errors"):
          if layer == "jaxgen.families" and family_of(imported) not in (None, family_of(module)):
            violations.append(f"{where}: a family imports another family (shared layers go to jaxgen/nn)")
          continue
        if allowed is None:
          violations.append(f"{where}: {layer} is not a known layer of the package")
        elif target not in allowed:
          violations.append(f"{where}: {layer} may import only {sorted(allowed) or 'nothing of jaxgen'}")
        elif layer == "jaxgen.families" and imported.startswith(FAMILY_FORBIDDEN):
          violations.append(f"{where}: a family never imports the runner")
  return violations


def test_the_package_imports_run_one_way():
  assert import_violations(REPO) == []


@pytest.mark.parametrize("module,source,expected", [
    ("jaxgen/eval/bad.py", "from jaxgen.core import sharding\n", "jaxgen.eval may import only"),
    ("jaxgen/nn/bad.py", "import jaxgen.data\n", "jaxgen.nn may import only"),
    ("jaxgen/data/bad.py", "from jaxgen.core.config import base_config\n", "jaxgen.data may import only"),
    ("jaxgen/core/bad.py", "def f():\n  from jaxgen import families\n", "jaxgen.core may import only"),
    ("jaxgen/families/vae/bad.py", "from jaxgen.families.gan import losses\n", "another family"),
    ("jaxgen/families/vae/bad.py", "from jaxgen.core.runner import Run\n", "never imports the runner"),
    ("jaxgen/families/vae/bad.py", "from ..gan import model\n", "another family"),
])
def test_a_broken_rule_is_found(tmp_path, module, source, expected):
  path = tmp_path / module
  path.parent.mkdir(parents=True)
  path.write_text(source)
  violations = import_violations(str(tmp_path))
  assert len(violations) == 1 and expected in violations[0], violations


def test_allowed_imports_pass(tmp_path):
  path = tmp_path / "jaxgen/families/vae/good.py"
  path.parent.mkdir(parents=True)
  path.write_text("from jaxgen.core import evaluation\nfrom jaxgen.nn import encoders\n"
                  "from jaxgen.families.vae import losses\nfrom . import model\nimport jaxgen\n")
  assert import_violations(str(tmp_path)) == []
