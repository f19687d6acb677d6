"""price_upsert: bulk, idempotent, and exact about what it inserted, updated or left alone."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from market import services
from market.models import Price
from market.providers.base import Bar
from market.services import UpsertResult, price_upsert
from market.tests.factories import AssetFactory, PriceFactory, weekday_bars

pytestmark = pytest.mark.django_db


def _portable(*, asset, bars):
    result = price_upsert(asset=asset, bars=bars, portable=True)
    return UpsertResult(result.inserted, result.updated, result.unchanged, result.skipped)


# On PostgreSQL price_upsert takes the INSERT … ON CONFLICT path; the portable path is also
# exercised directly so both are tested against the same database.
UPSERTS = [pytest.param(price_upsert, id="native"), pytest.param(_portable, id="portable")]


@pytest.mark.parametrize("upsert", UPSERTS)
def test_new_bars_are_inserted(upsert):
    asset = AssetFactory()
    bars = weekday_bars(dt.date(2024, 1, 1), dt.date(2024, 3, 31))

    result = upsert(asset=asset, bars=bars)

    assert result == UpsertResult(inserted=len(bars), updated=0, unchanged=0)
    stored = list(Price.objects.filter(asset=asset).order_by("date"))
    assert [p.date for p in stored] == [b.date for b in bars]
    assert (stored[3].open, stored[3].high, stored[3].low, stored[3].close, stored[3].volume) == (
        bars[3].open,
        bars[3].high,
        bars[3].low,
        bars[3].close,
        bars[3].volume,
    )


@pytest.mark.parametrize("upsert", UPSERTS)
def test_resending_the_same_bars_writes_nothing(upsert):
    asset = AssetFactory()
    bars = weekday_bars(dt.date(2023, 1, 1), dt.date(2024, 12, 31))
    upsert(asset=asset, bars=bars)
    ids_before = dict(Price.objects.filter(asset=asset).values_list("date", "id"))

    result = upsert(asset=asset, bars=bars)

    assert result == UpsertResult(inserted=0, updated=0, unchanged=len(bars))
    assert result.written == 0
    assert dict(Price.objects.filter(asset=asset).values_list("date", "id")) == ids_before


@pytest.mark.parametrize("upsert", UPSERTS)
def test_changed_bars_are_updated_and_new_ones_inserted_in_one_call(upsert):
    asset = AssetFactory()
    bars = weekday_bars(dt.date(2024, 1, 1), dt.date(2024, 1, 31))
    upsert(asset=asset, bars=bars)
    corrected = Bar(bars[5].date, bars[5].open, bars[5].high, bars[5].low, 999.5, bars[5].volume)
    no_volume = Bar(bars[6].date, bars[6].open, bars[6].high, bars[6].low, bars[6].close, None)
    extra = weekday_bars(dt.date(2024, 2, 1), dt.date(2024, 2, 7))
    sent = [*bars[:5], corrected, no_volume, *bars[7:], *extra]

    result = upsert(asset=asset, bars=sent)

    assert result == UpsertResult(inserted=len(extra), updated=2, unchanged=len(bars) - 2)
    assert Price.objects.get(asset=asset, date=bars[5].date).close == 999.5
    assert Price.objects.get(asset=asset, date=bars[6].date).volume is None
    assert Price.objects.filter(asset=asset).count() == len(bars) + len(extra)


@pytest.mark.parametrize("upsert", UPSERTS)
def test_prices_of_other_assets_are_untouched(upsert):
    asset, other = AssetFactory(), AssetFactory()
    PriceFactory(asset=other, date=dt.date(2024, 1, 2), close=50.0)

    upsert(asset=asset, bars=weekday_bars(dt.date(2024, 1, 1), dt.date(2024, 1, 5)))

    assert Price.objects.get(asset=other).close == 50.0
    assert Price.objects.filter(asset=asset).count() == 5


def test_bars_without_a_positive_finite_close_are_skipped_and_counted():
    asset = AssetFactory()
    day = dt.date(2024, 1, 2)
    bars = [
        Bar(day, 1.0, 1.0, 1.0, float("nan"), 1),
        Bar(day + dt.timedelta(days=1), 1.0, 1.0, 1.0, 0.0, 1),
        Bar(day + dt.timedelta(days=2), float("nan"), 2.0, 1.0, 1.5, float("nan")),
    ]

    result = price_upsert(asset=asset, bars=bars)

    assert result == UpsertResult(inserted=1, updated=0, unchanged=0, skipped=2)
    stored = Price.objects.get(asset=asset)
    assert (stored.open, stored.close, stored.volume) == (None, 1.5, None)


def test_a_date_sent_twice_keeps_its_last_bar():
    asset = AssetFactory()
    day = dt.date(2024, 1, 2)

    result = price_upsert(
        asset=asset, bars=[Bar(day, 1, 1, 1, 10.0, 1), Bar(day, 1, 1, 1, 11.0, 1)]
    )

    assert result.inserted == 1
    assert Price.objects.get(asset=asset).close == 11.0


def test_large_upserts_are_chunked(monkeypatch):
    monkeypatch.setattr(services.prices, "UPSERT_CHUNK", 100)
    asset = AssetFactory()
    bars = weekday_bars(dt.date(2020, 1, 1), dt.date(2021, 12, 31))

    first = price_upsert(asset=asset, bars=bars)
    again = price_upsert(asset=asset, bars=bars)

    assert first.inserted == len(bars) > 500
    assert again.unchanged == len(bars)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL only")
def test_on_postgresql_unchanged_rows_cost_one_probe_and_one_merge_and_are_not_rewritten():
    asset = AssetFactory()
    bars = weekday_bars(dt.date(2024, 1, 1), dt.date(2024, 6, 30))
    price_upsert(asset=asset, bars=bars)
    with connection.cursor() as cursor:
        cursor.execute("SELECT min(xmin::text::bigint), max(xmin::text::bigint) FROM market_price")
        before = cursor.fetchone()

    with CaptureQueriesContext(connection) as queries:
        result = price_upsert(asset=asset, bars=bars)
    statements = [q["sql"] for q in queries.captured_queries if "SAVEPOINT" not in q["sql"]]
    assert len(statements) == 2
    assert "ON CONFLICT" in statements[1]

    assert result.written == 0
    with connection.cursor() as cursor:
        cursor.execute("SELECT min(xmin::text::bigint), max(xmin::text::bigint) FROM market_price")
        assert cursor.fetchone() == before  # no row version was rewritten


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL only")
def test_on_postgresql_a_copy_that_collides_falls_back_to_the_merge(monkeypatch):
    from django.db import IntegrityError

    asset = AssetFactory()
    bars = weekday_bars(dt.date(2024, 1, 1), dt.date(2024, 1, 31))

    def collide(cursor, table, asset_id, rows):
        PriceFactory(asset=asset, date=bars[0].date, close=1.0)  # "another writer"
        raise IntegrityError("duplicate key value violates unique constraint")

    monkeypatch.setattr(services.prices, "_pg_copy", collide)
    result = price_upsert(asset=asset, bars=bars)

    assert result.written == len(bars)
    assert Price.objects.filter(asset=asset).count() == len(bars)


def _marks(asset):
    """(price version, earliest date of the last write from the log, first, last price date)."""
    version, log, first, last = (
        type(asset)
        .objects.values_list(
            "price_version", "price_changes", "first_price_date", "last_price_date"
        )
        .get(pk=asset.pk)
    )
    assert [entry[0] for entry in log] == list(range(version - len(log) + 1, version + 1))
    return version, dt.date.fromisoformat(log[-1][1]) if log else None, first, last


def test_every_write_records_its_earliest_date_and_the_first_and_last_price_dates():
    asset = AssetFactory()
    assert _marks(asset) == (0, None, None, None)
    price_upsert(asset=asset, bars=weekday_bars(dt.date(2024, 3, 1), dt.date(2024, 3, 29)))
    assert _marks(asset) == (1, dt.date(2024, 3, 1), dt.date(2024, 3, 1), dt.date(2024, 3, 29))
    # A backfill further back and a correction in the middle: the earliest date sent counts.
    price_upsert(asset=asset, bars=weekday_bars(dt.date(2024, 2, 1), dt.date(2024, 3, 5)))
    assert _marks(asset) == (2, dt.date(2024, 2, 1), dt.date(2024, 2, 1), dt.date(2024, 3, 29))
    # Sending the same bars again writes nothing, so nothing is recorded.
    price_upsert(asset=asset, bars=weekday_bars(dt.date(2024, 2, 1), dt.date(2024, 3, 5)))
    assert _marks(asset)[0] == 2
    # Rows deleted around price_upsert are recorded by hand, as the admin does.
    Price.objects.filter(asset=asset, date__gte=dt.date(2024, 3, 20)).delete()
    services.prices_changed(asset_id=asset.pk, since=dt.date(2024, 3, 20))
    assert _marks(asset) == (3, dt.date(2024, 3, 20), dt.date(2024, 2, 1), dt.date(2024, 3, 19))
    Price.objects.filter(asset=asset).delete()
    services.prices_changed(asset_id=asset.pk, since=dt.date(2024, 2, 1))
    assert _marks(asset) == (4, dt.date(2024, 2, 1), None, None)


def test_the_migration_fills_the_first_and_last_price_dates():
    import importlib

    from django.apps import apps

    migration = importlib.import_module("market.migrations.0006_asset_first_last_price_date")
    asset, bare = AssetFactory(), AssetFactory()
    price_upsert(asset=asset, bars=weekday_bars(dt.date(2024, 3, 1), dt.date(2024, 3, 29)))
    type(asset).objects.update(first_price_date=None, last_price_date=None)
    migration.fill(apps, None)
    assert _marks(asset)[2:] == (dt.date(2024, 3, 1), dt.date(2024, 3, 29))
    assert _marks(bare)[2:] == (None, None)


def test_saving_a_stale_asset_does_not_move_its_price_marks_back():
    asset = AssetFactory()
    stale = type(asset).objects.get(pk=asset.pk)
    price_upsert(asset=asset, bars=weekday_bars(dt.date(2024, 3, 1), dt.date(2024, 3, 8)))
    stale.name = "Renamed"
    stale.save()
    assert _marks(asset) == (1, dt.date(2024, 3, 1), dt.date(2024, 3, 1), dt.date(2024, 3, 8))
    assert type(asset).objects.get(pk=asset.pk).name == "Renamed"
