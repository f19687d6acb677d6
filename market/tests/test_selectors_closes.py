"""The one loader of stored closes (`market.selectors.closes_load`, `closes_latest_before`), and
the rule that nothing outside `market` queries the price table.

The loader's tests run on whichever database the suite uses (SQLite by default; with
DATABASE_URL on PostgreSQL they take its packed-binary fast path).
"""

from __future__ import annotations

import ast
import datetime as dt
from pathlib import Path

import numpy as np
import pytest

from market import selectors
from market.models import Price
from market.tests.factories import AssetFactory

PROJECT_ROOT = Path(__file__).resolve().parents[2]
D = dt.date


def closes(asset, pairs: dict[dt.date, float]) -> None:
    """Store closes in the order given (not by date), as one bulk write."""
    Price.objects.bulk_create(
        [Price(asset=asset, date=day, close=close) for day, close in pairs.items()]
    )


def as_lists(found: tuple[np.ndarray, np.ndarray]) -> tuple[list, list]:
    days, values = found
    assert days.dtype == np.dtype("datetime64[D]") and values.dtype == np.float64
    return days.astype(object).tolist(), values.tolist()


@pytest.mark.django_db
def test_closes_load_answers_each_assets_closes_from_its_date_ascending():
    first, second, other = AssetFactory(), AssetFactory(), AssetFactory()
    # Stored out of date order: the answer is ascending all the same.
    closes(first, {D(2024, 1, 4): 13.0, D(2024, 1, 2): 11.0, D(2024, 1, 3): 12.0})
    closes(second, {D(2024, 1, 3): 22.0, D(2024, 1, 2): 21.0, D(2024, 1, 5): 25.0})
    closes(other, {D(2024, 1, 2): 99.0})

    found = selectors.closes_load({first.pk: None, second.pk: D(2024, 1, 3)})

    assert set(found) == {first.pk, second.pk}  # `other` was not asked for
    assert as_lists(found[first.pk]) == (
        [D(2024, 1, 2), D(2024, 1, 3), D(2024, 1, 4)],
        [11.0, 12.0, 13.0],
    )
    # From 3 Jan on: the 2 Jan close is left out.
    assert as_lists(found[second.pk]) == ([D(2024, 1, 3), D(2024, 1, 5)], [22.0, 25.0])


@pytest.mark.django_db
def test_closes_load_stops_at_until_and_leaves_out_assets_without_a_close_in_range():
    priced, late, bare = AssetFactory(), AssetFactory(), AssetFactory()
    closes(priced, {D(2024, 1, 2): 1.5, D(2024, 1, 3): 1.25, D(2024, 1, 8): 1.75})
    closes(late, {D(2024, 2, 1): 7.0})

    found = selectors.closes_load(
        {priced.pk: D(2024, 1, 3), late.pk: None, bare.pk: None}, until=D(2024, 1, 5)
    )

    # priced: 3 Jan only (2 Jan is before its date, 8 Jan after `until`); late: its one close
    # is after `until`; bare has none.
    assert list(found) == [priced.pk]
    assert as_lists(found[priced.pk]) == ([D(2024, 1, 3)], [1.25])


@pytest.mark.django_db
def test_closes_load_of_nothing_runs_no_query(django_assert_num_queries):
    with django_assert_num_queries(0):
        assert selectors.closes_load({}) == {}


@pytest.mark.django_db
def test_closes_load_reads_several_starts_in_one_query(django_assert_num_queries):
    assets = [AssetFactory() for _ in range(3)]
    for asset in assets:
        closes(asset, {D(2024, 1, 2): 1.0, D(2024, 1, 9): 2.0})
    with django_assert_num_queries(1):
        found = selectors.closes_load(
            {assets[0].pk: None, assets[1].pk: D(2024, 1, 5), assets[2].pk: D(2024, 1, 10)}
        )
    assert {pk: len(days) for pk, (days, _) in found.items()} == {assets[0].pk: 2, assets[1].pk: 1}


@pytest.mark.django_db
def test_closes_latest_before_answers_the_last_close_strictly_before_the_day():
    first, second, bare = AssetFactory(), AssetFactory(), AssetFactory()
    closes(first, {D(2024, 1, 2): 10.0, D(2024, 1, 4): 14.0, D(2024, 1, 5): 15.0})
    closes(second, {D(2024, 1, 5): 50.0})

    found = selectors.closes_latest_before(
        asset_ids=[first.pk, second.pk, bare.pk], before=D(2024, 1, 5)
    )

    # first: 4 Jan (5 Jan is not before 5 Jan); second: nothing before 5 Jan; bare: nothing.
    assert found == {first.pk: (D(2024, 1, 4), 14.0)}


@pytest.mark.django_db
def test_the_portfolios_wrapper_adds_the_close_before_a_window_that_starts_later():
    from portfolios.engine.market import Closes
    from portfolios.performance import loading

    quiet, busy = AssetFactory(), AssetFactory()
    closes(quiet, {D(2023, 12, 1): 40.0, D(2023, 12, 20): 42.0})
    closes(busy, {D(2023, 12, 29): 8.0, D(2024, 1, 2): 9.0})

    found = loading.closes_with_previous(
        {quiet.pk: D(2024, 1, 1), busy.pk: D(2024, 1, 1)},
        previous_before={quiet.pk: D(2024, 1, 1), busy.pk: D(2024, 1, 1)},
        until=D(2024, 1, 31),
    )

    assert all(isinstance(series, Closes) for series in found.values())
    # quiet has no close from 1 Jan: its last one before, 20 Dec (42), stands alone.
    assert found[quiet.pk].on(D(2024, 1, 15)) == (42.0, D(2023, 12, 20))
    # busy's window starts 2 Jan, after 1 Jan: 29 Dec (8) goes in front of it.
    assert found[busy.pk].value_on(D(2024, 1, 1)) == 8.0
    assert found[busy.pk].value_on(D(2024, 1, 3)) == 9.0


# --- Nobody else reads the price table ------------------------------------------------------------

APPS_OUTSIDE_MARKET = ("accounts", "portfolia", "portfolios")


def price_table_reads(source: str) -> list[str]:
    """What in `source` (a module outside `market`) would query stored prices: importing the
    `Price` model, naming it on a `market.models` module, or the table's name in a string."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("market"):
            found += [f"import {alias.name}" for alias in node.names if alias.name == "Price"]
        elif isinstance(node, ast.Attribute) and node.attr == "Price":
            found.append("attribute .Price")
        elif (
            isinstance(node, ast.Constant)
            and isinstance(node.value, str)
            and "market_price" in node.value
        ):
            found.append("the table market_price in a string")
    return found


def _app_sources() -> list[Path]:
    paths = []
    for app in APPS_OUTSIDE_MARKET:
        for path in sorted((PROJECT_ROOT / app).rglob("*.py")):
            parts = path.relative_to(PROJECT_ROOT).parts
            if "tests" in parts or "migrations" in parts:
                continue
            paths.append(path)
    return paths


def test_there_are_modules_outside_market_to_check():
    names = {path.relative_to(PROJECT_ROOT).as_posix() for path in _app_sources()}
    assert {"portfolios/performance/loading.py", "portfolios/reports.py"} <= names


@pytest.mark.parametrize(
    "path", _app_sources(), ids=lambda path: path.relative_to(PROJECT_ROOT).as_posix()
)
def test_only_market_queries_stored_closes(path: Path):
    assert not price_table_reads(path.read_text()), (
        f"{path.relative_to(PROJECT_ROOT)} reads the price table: call "
        "market.selectors.closes_load (or portfolios.performance.loading.closes_load)"
    )


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("from market.models import Asset, Price", ["import Price"]),
        ("from market import models\nmodels.Price.objects.all()", ["attribute .Price"]),
        ("sql = 'SELECT close FROM market_price'", ["the table market_price in a string"]),
        ("from market.models import Asset\nfrom market import selectors", []),
        ("from portfolios.engine.market import PriceTable, Closes", []),
    ],
)
def test_the_price_read_checker_catches_each_way_in(source: str, expected: list[str]):
    assert price_table_reads(source) == expected


def _market_sources() -> list[Path]:
    return [
        path
        for path in sorted((PROJECT_ROOT / "market").rglob("*.py"))
        if not {"tests", "migrations"} & set(path.relative_to(PROJECT_ROOT).parts)
    ]


@pytest.mark.parametrize(
    "path", _market_sources(), ids=lambda path: path.relative_to(PROJECT_ROOT).as_posix()
)
def test_market_imports_nothing_of_portfolios(path: Path):
    """Dependence runs portfolios → market: the loader answers numpy arrays, not engine types."""
    imported = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            imported += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and not node.level:
            imported.append(node.module or "")
    assert not [name for name in imported if name.split(".")[0] == "portfolios"]
