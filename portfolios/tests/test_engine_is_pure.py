"""portfolios/engine/ stays pure: no Django, no ORM, nothing from the rest of the project.

Every .py file under the engine is parsed with `ast` (so a file that is never imported by a test
is still checked); relative imports are resolved to absolute module names first.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

ENGINE = Path(__file__).resolve().parents[1] / "engine"
PROJECT_ROOT = ENGINE.parents[1]
# Django and what is built on it, and our other apps (each imports Django).
FORBIDDEN_ROOTS = frozenset(
    {"django", "rest_framework", "celery", "django_celery_beat", "market", "accounts", "portfolia"}
)
ALLOWED_PROJECT_PREFIX = "portfolios.engine"


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(PROJECT_ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _imported_names(tree: ast.AST, module: str, is_package: bool) -> list[str]:
    """Absolute names of everything the module imports (for `from x import y`, both x and x.y)."""
    package = module.split(".") if is_package else module.split(".")[:-1]
    names: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.extend(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                anchor = package[: len(package) - (node.level - 1)] if node.level > 1 else package
                base = ".".join([*anchor, *([node.module] if node.module else [])])
            else:
                base = node.module or ""
            names.append(base)
            names.extend(f"{base}.{alias.name}" for alias in node.names if alias.name != "*")
        elif isinstance(node, ast.Call):
            # importlib.import_module("django...") / __import__("django...") with a literal.
            function = node.func
            called = (
                function.attr
                if isinstance(function, ast.Attribute)
                else getattr(function, "id", "")
            )
            if called in {"import_module", "__import__"} and node.args:
                first = node.args[0]
                if isinstance(first, ast.Constant) and isinstance(first.value, str):
                    names.append(first.value)
    return names


def forbidden_imports(source: str, module: str, *, is_package: bool = False) -> list[str]:
    """The imports in `source` (the text of `module`) that the engine may not make."""
    bad = []
    for name in _imported_names(ast.parse(source), module, is_package):
        root = name.split(".")[0]
        outside_engine = root == "portfolios" and not (
            name == ALLOWED_PROJECT_PREFIX or name.startswith(ALLOWED_PROJECT_PREFIX + ".")
        )
        # `from portfolios import engine` names the package itself, which is fine.
        if name == "portfolios":
            continue
        if root in FORBIDDEN_ROOTS or outside_engine:
            bad.append(name)
    return bad


def _engine_files() -> list[Path]:
    return sorted(ENGINE.rglob("*.py"))


def test_the_engine_has_modules_to_check() -> None:
    names = {path.name for path in _engine_files()}
    assert {"__init__.py", "types.py", "ledger.py", "market.py", "valuation.py"} <= names


@pytest.mark.parametrize("path", _engine_files(), ids=lambda path: path.name)
def test_engine_module_imports_neither_django_nor_the_rest_of_the_project(path: Path) -> None:
    bad = forbidden_imports(
        path.read_text(), _module_name(path), is_package=path.name == "__init__.py"
    )
    assert not bad, f"{path.relative_to(PROJECT_ROOT)} imports {', '.join(bad)}"


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("import django", ["django"]),
        ("from django.db import models", ["django.db", "django.db.models"]),
        ("from market.models import Price", ["market.models", "market.models.Price"]),
        (
            "from portfolios.models import Portfolio",
            ["portfolios.models", "portfolios.models.Portfolio"],
        ),
        ("from portfolios import models", ["portfolios.models"]),
        ("from .. import services", ["portfolios.services"]),
        (
            "from ..selectors import snapshot",
            ["portfolios.selectors", "portfolios.selectors.snapshot"],
        ),
        ("import importlib\nimportlib.import_module('django.conf')", ["django.conf"]),
        ("from . import ledger\nfrom .market import FxTable\nimport numpy", []),
        ("from portfolios.engine.types import Txn\nfrom portfolios import engine", []),
    ],
)
def test_the_checker_catches_forbidden_imports(source: str, expected: list[str]) -> None:
    assert forbidden_imports(source, "portfolios.engine.ledger") == expected


def test_the_engine_imports_with_django_unavailable() -> None:
    modules = [_module_name(path) for path in _engine_files()]
    script = "import sys\nsys.modules['django'] = None\n" + "".join(
        f"import {module}\n" for module in modules
    )
    result = subprocess.run(
        [sys.executable, "-c", script],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
