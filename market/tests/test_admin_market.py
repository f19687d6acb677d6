"""Staff admin: asset actions queue work for the workers, fetch jobs are read-only, every
market page of the admin loads."""

import pytest

from accounts.tests.factories import UserFactory
from market import services
from market.models import FetchJob
from market.tests.factories import (
    AssetFactory,
    CorporateActionFactory,
    FetchJobFactory,
    ManualAssetFactory,
    PriceFactory,
    QuoteFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client):
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    return client


def test_backfill_now_queues_one_job_per_catalogue_asset(
    admin_client, monkeypatch, django_capture_on_commit_callbacks
):
    queued = []
    monkeypatch.setattr(services.jobs, "_job_enqueue", queued.append)
    assets = [AssetFactory(), AssetFactory()]
    manual = ManualAssetFactory()

    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            "/admin/market/asset/",
            {"action": "backfill_now", "_selected_action": [a.pk for a in [*assets, manual]]},
            follow=True,
        )

    assert response.status_code == 200
    assert b"Backfill queued (or already running) for 2 asset(s)." in response.content
    assert b"1 manual asset(s) skipped" in response.content
    assert FetchJob.objects.filter(status="queued").count() == 2
    assert len(queued) == 2


def test_refresh_quote_queues_a_quote_refresh_of_the_selected_assets(
    admin_client, monkeypatch, django_capture_on_commit_callbacks
):
    calls = []
    monkeypatch.setattr(
        services.refresh, "_task_enqueue", lambda name, **kw: calls.append((name, kw))
    )
    asset = AssetFactory()

    with django_capture_on_commit_callbacks(execute=True):
        admin_client.post(
            "/admin/market/asset/", {"action": "refresh_quote", "_selected_action": [asset.pk]}
        )

    assert calls == [("refresh_quotes", {"asset_ids": [asset.pk]})]


def test_fetch_jobs_are_read_only_and_show_their_error(admin_client):
    job = FetchJobFactory(status="failed", error="Yahoo Finance could not provide X: delisted.")

    listing = admin_client.get("/admin/market/fetchjob/", {"status__exact": "failed"})
    detail = admin_client.get(f"/admin/market/fetchjob/{job.pk}/change/")

    assert b"delisted." in listing.content
    assert detail.status_code == 200 and b'name="_save"' not in detail.content
    assert admin_client.get("/admin/market/fetchjob/add/").status_code == 403


def test_every_market_admin_page_loads(admin_client):
    asset = AssetFactory()
    PriceFactory(asset=asset)
    QuoteFactory(asset=asset)
    CorporateActionFactory(asset=asset)
    for url in (
        "/admin/market/asset/?q=SYM",
        "/admin/market/asset/?asset_class__exact=stock&provider__exact=demo",
        f"/admin/market/asset/{asset.pk}/change/",
        f"/admin/market/price/?asset__id__exact={asset.pk}",
        "/admin/market/quote/",
        "/admin/market/corporateaction/",
        "/admin/django_celery_beat/periodictask/",
    ):
        assert admin_client.get(url).status_code == 200, url
    assert b"Data status" in admin_client.get("/admin/market/asset/").content


def test_price_edits_and_deletions_in_the_admin_are_recorded(admin_client):
    import datetime as dt

    from market.models import Asset

    first = PriceFactory(date=dt.date(2024, 1, 2))
    asset = first.asset
    last = PriceFactory(asset=asset, date=dt.date(2024, 1, 5))

    def marks():
        version, log, first_date, last_date = Asset.objects.values_list(
            "price_version", "price_changes", "first_price_date", "last_price_date"
        ).get(pk=asset.pk)
        return version, dt.date.fromisoformat(log[-1][1]), first_date, last_date

    version = marks()[0]
    response = admin_client.post(
        f"/admin/market/price/{last.pk}/change/",
        {
            "asset": asset.pk,
            "date": "2024-01-04",
            "open": "1",
            "high": "1",
            "low": "1",
            "close": "1.5",
            "volume": "0",
        },
    )
    assert response.status_code == 302
    assert marks() == (version + 1, dt.date(2024, 1, 4), dt.date(2024, 1, 2), dt.date(2024, 1, 4))
    response = admin_client.post(
        "/admin/market/price/",
        {"action": "delete_selected", "_selected_action": [first.pk], "post": "yes"},
    )
    assert response.status_code == 302
    assert marks() == (version + 2, dt.date(2024, 1, 2), dt.date(2024, 1, 4), dt.date(2024, 1, 4))
    response = admin_client.post(f"/admin/market/price/{last.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    assert marks() == (version + 3, dt.date(2024, 1, 4), None, None)


def test_corporate_actions_show_ratios_and_amounts_without_padding_zeros(admin_client):
    from decimal import Decimal

    split = CorporateActionFactory(kind="split", ratio=Decimal("10"), amount=None)
    CorporateActionFactory(kind="dividend", ratio=None, amount=Decimal("0.24"))
    listing = admin_client.get("/admin/market/corporateaction/").content.decode()
    assert '<td class="field-ratio">10</td>' in listing
    assert '<td class="field-amount">0.24</td>' in listing
    assert "10.0000000000" not in listing and "0.24000000" not in listing
    form = admin_client.get(f"/admin/market/corporateaction/{split.pk}/change/").content.decode()
    assert 'name="ratio" value="10"' in form


@pytest.mark.parametrize(("field", "value"), [("close", "1e300"), ("open", "-1"), ("close", "inf")])
def test_the_admin_price_form_refuses_what_no_upload_may_store(admin_client, field, value):
    import datetime as dt

    price = PriceFactory(date=dt.date(2024, 1, 2), close=10.0)
    form = {"asset": price.asset.pk, "date": "2024-01-02", "close": "10", field: value}

    response = admin_client.post(f"/admin/market/price/{price.pk}/change/", form)

    assert response.status_code == 200  # the form again, with its error
    content = response.content.decode()
    assert "A price must be" in content or "Enter a number" in content
    price.refresh_from_db()
    assert price.close == 10.0


def test_stored_closes_that_cannot_be_a_price_are_removed_and_pages_value_the_rest(client):
    """Migration 0010: a close of 1e300 stored before bars were bounded made every page that
    values the asset answer 500; it goes, the asset's marks follow, and the pages answer."""
    import datetime as dt
    import importlib

    from django.apps import apps

    from market.models import Asset, Price
    from portfolios.tests.factories import PortfolioFactory, TransactionFactory

    user = UserFactory()
    asset = AssetFactory(symbol="AAPL")
    PriceFactory(asset=asset, date=dt.date(2024, 1, 2), close=100.0)
    PriceFactory(asset=asset, date=dt.date(2024, 1, 3), close=1e300)
    Asset.objects.filter(pk=asset.pk).update(last_price_date=dt.date(2024, 1, 3))
    version = Asset.objects.get(pk=asset.pk).price_version
    portfolio = PortfolioFactory(owner=user)
    TransactionFactory(portfolio=portfolio, asset=asset, date=dt.date(2024, 1, 2), quantity=1)

    migration = importlib.import_module("market.migrations.0010_price_bounds")
    migration.drop_impossible_closes(apps, None)

    assert list(Price.objects.filter(asset=asset).values_list("close", flat=True)) == [100.0]
    asset.refresh_from_db()
    assert asset.price_version == version + 1
    assert asset.last_price_date == dt.date(2024, 1, 2)
    client.force_login(user)
    for path in ("/", f"/portfolios/{portfolio.public_id}/"):
        assert client.get(path).status_code == 200
