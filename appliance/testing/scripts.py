"""The repository's scripts as modules, for the tests that exercise their functions.

Scripts are not a package (they run as `python scripts/x.py`), so a test loads one from its file.
It is registered in `sys.modules` under `name` before it runs: dataclasses look their defining
module up there while the class is being made.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

REPO = Path(__file__).resolve().parents[2]


def load_script(relative: str, name: str) -> ModuleType:
    """`scripts/<relative>` (e.g. "evaluate.py", "provision/fetch_models.py") loaded as module `name`."""
    path = REPO / "scripts" / relative
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise FileNotFoundError(f"no script at {path}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module
