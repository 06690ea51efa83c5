"""The web screens depend on the Protocols of web/deps.py, never on how the booth is assembled:
no module under appliance/web imports the composition root (appliance.app), not even lazily inside
a function or for type checking, so app.py -> web/server.py stays the only direction."""

from __future__ import annotations

import ast
from pathlib import Path

import appliance

PACKAGE = Path(appliance.__file__).parent
COMPOSITION_ROOT = "appliance.app"


def imported_modules(source: str, package: str) -> set[str]:
    """Every module an import statement anywhere in the source names (absolute, relative resolved
    against `package`, the dotted package the module lives in)."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parent = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*parent, *([node.module] if node.module else [])])
            names.add(base)
            names.update(f"{base}.{alias.name}" for alias in node.names)  # `from appliance import app`
    return names


def imports_composition_root(source: str, package: str = "appliance.web") -> bool:
    return any(name == COMPOSITION_ROOT or name.startswith(COMPOSITION_ROOT + ".")
               for name in imported_modules(source, package))


def package_of(path: Path) -> str:
    return ".".join(path.relative_to(PACKAGE.parent).parent.parts)


def test_no_web_module_imports_the_composition_root() -> None:
    web_modules = sorted((PACKAGE / "web").rglob("*.py"))
    assert len(web_modules) > 10  # the walk found the package
    offenders = [str(path.relative_to(PACKAGE.parent)) for path in web_modules
                 if imports_composition_root(path.read_text(encoding="utf-8"), package_of(path))]
    assert offenders == []


def test_the_import_walk_sees_every_form_of_importing_the_root() -> None:
    forms = [
        "def f():\n    from appliance.app import build_binder\n",  # lazy, inside a function
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    import appliance.app\n",
        "from appliance import app\n",
        "from ..app import BoothParts\n",
        "import appliance.app.sub as s\n",
    ]
    for source in forms:
        assert imports_composition_root(source), source
    assert not imports_composition_root("from appliance.application_notes import x\nfrom . import deps\n")
    assert not imports_composition_root("from ..booth import Booth\nimport appliance.web.server\n")
