"""The batched nightly refresh of recent closes: the same stored closes as the per-asset fetch
jobs, one failed symbol failing only its asset, price versions bumped only for changed assets,
and a query count that grows with the batches, not the assets."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from market import services
from market.models import Asset, CorporateAction, FetchJob, Price
from market.providers.base import PermanentProviderError, RecentHistory, TransientProviderError
from market.services import closes_batch
from market.tests.factories import AssetFactory, FakeProvider, PriceFactory, weekday_bars

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()
SEEDED = TODAY - dt.timedelta(days=10)


def _seed(symbols, close=1.0):
    """Catalogue demo assets, each with one stored (wrong) close ten days ago."""
    assets = [AssetFactory(symbol=symbol, provider="demo") for symbol in symbols]
    for asset in assets:
        PriceFactory(asset=asset, date=SEEDED, close=close)
    return assets


def _stored(assets):
    return {
        asset.symbol: list(
            Price.objects.filter(asset=asset)
            .order_by("date")
            .values_list("date", "open", "high", "low", "close", "volume")
        )
        for asset in assets
    }


def _actions(assets):
    return sorted(
        CorporateAction.objects.filter(asset__in=assets).values_list(
            "asset__symbol", "date", "kind", "ratio", "amount"
        )
    )


def test_batched_refresh_stores_the_same_closes_as_the_per_asset_jobs(
    monkeypatch, django_capture_on_commit_callbacks
):
    monkeypatch.setattr(services.jobs, "_job_enqueue", lambda job_id: None)
    symbols = ["AAPL", "MSFT", "VWCE.DE", "BTC-USD", "EURUSD=X", "KO"]
    assets = _seed(symbols)
    ids = [asset.pk for asset in assets]

    # Before: one fetch job per asset, each run on its own.
    for job in services.daily_closes_refresh(asset_ids=ids):
        services.backfill_run(job_id=job.pk)
    per_asset, per_asset_actions = _stored(assets), _actions(assets)
    versions = dict(Asset.objects.filter(pk__in=ids).values_list("pk", "price_version"))

    # After: the same assets, from the same seed, in one batch.
    Price.objects.filter(asset__in=assets).exclude(date=SEEDED).delete()
    CorporateAction.objects.filter(asset__in=assets).delete()
    outcome = services.daily_closes_refresh_batched(asset_ids=ids)

    assert outcome.provider_calls == 1 and outcome.failed == {}
    assert outcome.stored == outcome.changed == len(symbols)
    assert _stored(assets) == per_asset
    assert _actions(assets) == per_asset_actions
    # Each a window of a week before the seed to today: more than the seed alone.
    assert all(len(rows) > 1 for rows in per_asset.values())
    # One more version each (the batch changed every asset's rows once).
    after = dict(Asset.objects.filter(pk__in=ids).values_list("pk", "price_version"))
    assert after == {pk: version + 1 for pk, version in versions.items()}
    jobs = FetchJob.objects.filter(asset__in=assets, status=FetchJob.Status.SUCCEEDED)
    assert jobs.filter(kind=FetchJob.Kind.REFRESH, start=SEEDED - dt.timedelta(days=7)).count() == (
        2 * len(symbols)  # the per-asset run's jobs and the batch's
    )


class BatchProvider(FakeProvider):
    """Answers a batch: bars for the symbols in ``bars_by_symbol``, an error for those in
    ``errors``, nothing at all for the rest."""

    def __init__(self, bars_by_symbol, errors=()):
        super().__init__("demo")
        self.bars_by_symbol = bars_by_symbol
        self.errors = dict(errors)

    def recent_histories(self, symbols, start, end):
        self.calls.append(("recent_histories", tuple(symbols), start, end))
        answers = {
            symbol: RecentHistory(bars=tuple(b for b in bars if start <= b.date <= end), events=())
            for symbol, bars in self.bars_by_symbol.items()
            if symbol in symbols
        }
        answers.update(self.errors)
        return answers


def test_a_symbol_missing_from_the_batch_fails_only_its_asset(use_provider):
    good, missing, refused = _seed(["GOOD", "GONE", "NOPE"])
    bars = weekday_bars(SEEDED - dt.timedelta(days=7), TODAY)
    provider = use_provider(
        BatchProvider(
            {"GOOD": bars}, errors={"NOPE": PermanentProviderError("Unknown symbol NOPE.")}
        )
    )
    old_version = Asset.objects.get(pk=missing.pk).price_version

    outcome = services.daily_closes_refresh_batched(asset_ids=[good.pk, missing.pk, refused.pk])

    assert [call[0] for call in provider.calls] == ["recent_histories"]
    assert outcome.stored == 1 and set(outcome.failed) == {"GONE", "NOPE"}
    assert Price.objects.filter(asset=good).count() == len(bars)
    # The others keep their one old price, and their version.
    for asset in (missing, refused):
        assert list(Price.objects.filter(asset=asset).values_list("date", "close")) == [
            (SEEDED, 1.0)
        ]
        asset.refresh_from_db()
        assert asset.price_version == old_version
    gone = FetchJob.objects.get(asset=missing)
    assert gone.status == FetchJob.Status.FAILED
    assert "GONE" in gone.error and "left the symbol out" in gone.error
    assert "Stored prices are unchanged" in gone.error
    nope = FetchJob.objects.get(asset=refused)
    assert "Unknown symbol NOPE" in nope.error
    assert FetchJob.objects.get(asset=good).status == FetchJob.Status.SUCCEEDED


def test_a_symbol_failing_transiently_gets_its_own_job_that_retries(use_provider, monkeypatch):
    queued = []
    monkeypatch.setattr(services.jobs, "_job_enqueue", queued.append)
    good, busy = _seed(["GOOD", "BUSY"])
    bars = weekday_bars(SEEDED - dt.timedelta(days=7), TODAY)
    use_provider(BatchProvider({"GOOD": bars}, errors={"BUSY": TransientProviderError("HTTP 503")}))

    outcome = services.daily_closes_refresh_batched(asset_ids=[good.pk, busy.pk])

    assert outcome.failed == {} and outcome.stored == 1
    (job,) = outcome.queued
    assert job.asset_id == busy.pk and job.status == FetchJob.Status.QUEUED
    assert job.kind == FetchJob.Kind.REFRESH and job.start == SEEDED - dt.timedelta(days=7)
    assert list(Price.objects.filter(asset=busy).values_list("date", "close")) == [(SEEDED, 1.0)]


def test_price_versions_are_bumped_only_for_assets_that_changed():
    assets = _seed(["AAPL", "MSFT", "KO"])
    ids = [asset.pk for asset in assets]
    services.daily_closes_refresh_batched(asset_ids=ids)
    before = {a.pk: (a.price_version, a.price_changes) for a in Asset.objects.filter(pk__in=ids)}

    # Nothing changed at the provider: nothing written, no version bumped.
    again = services.daily_closes_refresh_batched(asset_ids=ids)
    assert again.stored == 3 and again.changed == 0
    unchanged = {a.pk: (a.price_version, a.price_changes) for a in Asset.objects.filter(pk__in=ids)}
    assert unchanged == before

    # One stored close corrected behind the provider's back: only that asset moves, by one.
    msft = assets[1]
    last = Price.objects.filter(asset=msft).latest("date")
    Price.objects.filter(pk=last.pk).update(close=last.close + 1)
    third = services.daily_closes_refresh_batched(asset_ids=ids)

    assert third.changed == 1
    for asset in Asset.objects.filter(pk__in=ids):
        version, log = before[asset.pk]
        if asset.pk == msft.pk:
            assert asset.price_version == version + 1
            # The write is logged from the earliest date sent: a week before the last close.
            since = last.date - dt.timedelta(days=7)
            assert asset.price_changes[-1][0] == version + 1
            assert dt.date.fromisoformat(asset.price_changes[-1][1]) >= since
            assert asset.last_price_date == last.date
        else:
            assert (asset.price_version, asset.price_changes) == (version, log)


def _queries_for(count, batch, monkeypatch, use_provider):
    monkeypatch.setattr(closes_batch, "HISTORY_BATCH", batch)
    Asset.objects.all().delete()
    symbols = [f"Q{n:03d}" for n in range(count)]
    assets = _seed(symbols)
    bars = weekday_bars(SEEDED - dt.timedelta(days=7), TODAY)  # about 12 bars, no events
    use_provider(BatchProvider(dict.fromkeys(symbols, bars)))
    with CaptureQueriesContext(connection) as queries:
        outcome = services.daily_closes_refresh_batched(asset_ids=[a.pk for a in assets])
    assert outcome.stored == outcome.changed == count
    return len(queries), outcome.provider_calls


def test_the_query_count_grows_with_the_batches_not_the_assets(monkeypatch, use_provider):
    # Before the batches: the busy assets and the assets with their last close (2). Per batch,
    # inside the test's transaction (each atomic block a savepoint pair): the batch's block,
    # upsert_many's and prices_changed_many's (3 x 2 = 6); the lock, the spans, the marks and
    # the jobs' insert (4); and the price write: one merge on PostgreSQL (1: 11 a batch), a read,
    # a bulk insert and a bulk update elsewhere (3: 13 a batch; 10 assets x 12 rows x 7 columns
    # stay under SQLite's 999 parameters of one insert).
    small, calls_small = _queries_for(10, 5, monkeypatch, use_provider)
    large, calls_large = _queries_for(20, 10, monkeypatch, use_provider)

    per_batch = 11 if connection.vendor == "postgresql" else 13
    assert calls_small == calls_large == 2
    assert small == large == 2 + 2 * per_batch
