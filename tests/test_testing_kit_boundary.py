"""The product never imports its testing kit: appliance.testing holds fakes and synthetic data, and a
booth that reached them at run time would be running on mocks without saying so."""

from __future__ import annotations

import ast
from pathlib import Path

import appliance

PACKAGE = Path(appliance.__file__).resolve().parent
KIT = PACKAGE / "testing"


def kit_imports(source: str) -> list[tuple[int, str]]:
    """(line, module) of every import of appliance.testing in `source`, relative imports resolved
    only as far as they can name it (`from .. import testing`, `from ..testing import x`)."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found += [(node.lineno, a.name) for a in node.names if _is_kit(a.name)]
        elif isinstance(node, ast.ImportFrom):
            module = node.module or ""
            names = [f"{module}.{a.name}" if module else a.name for a in node.names]
            if _is_kit(module) or (node.level and module.split(".")[0] == "testing") or any(
                    _is_kit(n) or (node.level and n == "testing") for n in names):
                found.append((node.lineno, "." * node.level + module))
        elif (isinstance(node, ast.Call) and isinstance(node.func, (ast.Name, ast.Attribute))
              and getattr(node.func, "id", getattr(node.func, "attr", "")) in {"import_module", "__import__"}
              and node.args and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str)
              and _is_kit(node.args[0].value)):
            found.append((node.lineno, node.args[0].value))
    return found


def _is_kit(module: str) -> bool:
    return module == "appliance.testing" or module.startswith("appliance.testing.")


def test_no_product_module_imports_the_testing_kit():
    offenders = []
    for path in sorted(PACKAGE.rglob("*.py")):
        if KIT in path.parents:
            continue
        offenders += [f"{path.relative_to(PACKAGE.parent)}:{line}: {module}"
                      for line, module in kit_imports(path.read_text(encoding="utf-8"))]
    assert not offenders, "the product imports the testing kit:\n" + "\n".join(offenders)


def test_the_walk_sees_every_way_of_importing_the_kit():
    # the check above is only as good as this finder: each form must be caught, and nothing else
    caught = [
        "import appliance.testing.session_fakes",
        "from appliance.testing import session_fakes",
        "from appliance.testing.web_fakes import make_deps",
        "from appliance import testing",
        "from ..testing import synthetic_faces",
        "from .. import testing",
        "def f():\n    from appliance.testing.camera_fakes import padded_i420",
        "importlib.import_module('appliance.testing.light_scenes')",
    ]
    for source in caught:
        assert kit_imports(source), source
    for source in ["import appliance.session.machine", "from appliance.session import chart",
                   "from appliance.capture.camera import demo", "import testing_tools", "from . import tests"]:
        assert not kit_imports(source), source
