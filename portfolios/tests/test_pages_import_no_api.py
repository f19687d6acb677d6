"""The HTML side (views, presenters and the plain report bodies they share with the API) imports
no API serializer and nothing of DRF: a page shows the API's strings through `portfolios.wire`.

Each file is parsed with `ast`, as `test_engine_is_pure` does, so a module no test imports is
still checked.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from portfolios.tests.test_engine_is_pure import PROJECT_ROOT, _imported_names, _module_name

APP = PROJECT_ROOT / "portfolios"
PAGE_FILES = [*sorted((APP / "views").glob("*.py")), APP / "presenters.py", APP / "wire.py"]
FORBIDDEN = ("rest_framework", "drf_spectacular", "portfolios.serializers", "portfolios.api")


def api_imports(source: str, module: str, *, is_package: bool = False) -> list[str]:
    """The names `source` (the text of `module`) imports from DRF or the portfolio API."""
    return [
        name
        for name in _imported_names(ast.parse(source), module, is_package)
        if any(name == root or name.startswith(root + ".") for root in FORBIDDEN)
    ]


def test_the_page_modules_exist() -> None:
    names = {path.name for path in PAGE_FILES}
    assert {"__init__.py", "common.py", "performance.py", "presenters.py", "wire.py"} <= names


@pytest.mark.parametrize("path", PAGE_FILES, ids=lambda path: path.name)
def test_page_module_imports_no_api_serializer(path: Path) -> None:
    source, module = path.read_text(), _module_name(path)
    bad = api_imports(source, module, is_package=path.name == "__init__.py")
    assert not bad, f"{path.relative_to(PROJECT_ROOT)} imports {', '.join(bad)}"


@pytest.mark.parametrize(
    "source",
    [
        "from portfolios.serializers import performance_data",
        "from portfolios import serializers",
        "from ..serializers.performance import PerformanceSerializer",
        "from rest_framework import serializers",
    ],
)
def test_the_check_catches_a_serializer_import(source: str) -> None:
    assert api_imports(source, "portfolios.views.performance")
