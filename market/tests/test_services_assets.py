"""Assets: the catalogue from provider results, private manual assets, manual prices."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from market import services
from market.models import Asset, FetchJob, Price
from market.providers.base import SearchResult
from market.services import ManualPrice
from market.tests.factories import AssetFactory, FakeProvider, ManualAssetFactory

pytestmark = pytest.mark.django_db

AAPL = SearchResult("AAPL", "Apple Inc.", "stock", "USD", "NASDAQ", "demo")


def test_asset_find_or_create_creates_once():
    first = services.asset_find_or_create(result=AAPL)
    second = services.asset_find_or_create(result=AAPL)

    assert first.pk == second.pk
    assert (first.symbol, first.name, first.provider, first.owner) == (
        "AAPL",
        "Apple Inc.",
        "demo",
        None,
    )


def test_asset_find_or_create_accepts_an_unknown_currency_for_the_backfill_to_learn():
    asset = services.asset_find_or_create(
        result=SearchResult("2330.TW", "TSMC", "stock", "", "Taiwan", "yahoo")
    )
    assert asset.currency == ""


def test_asset_add_from_provider_uses_the_search_result_and_queues_history(use_provider):
    use_provider(FakeProvider("demo", search_results=[AAPL]))

    asset = services.asset_add_from_provider(symbol="aapl", provider_name="demo")

    assert asset.name == "Apple Inc."
    assert FetchJob.objects.filter(asset=asset, kind="backfill").count() == 1


def test_asset_add_from_provider_rejects_unknown_symbols(use_provider):
    use_provider(FakeProvider("demo", search_results=[AAPL]))

    with pytest.raises(services.SymbolNotFoundError):
        services.asset_add_from_provider(symbol="NOPE", provider_name="demo")
    assert not Asset.objects.exists()


def test_manual_assets_are_unique_per_owner_but_not_across_owners(user, other_user):
    services.asset_create_manual(
        owner=user, symbol="house", name="My house", asset_class="other", currency="EUR"
    )
    with pytest.raises(ValidationError, match="already have a manual asset"):
        services.asset_create_manual(
            owner=user, symbol="HOUSE", name="Again", asset_class="other", currency="EUR"
        )
    theirs = services.asset_create_manual(
        owner=other_user, symbol="HOUSE", name="Theirs", asset_class="other", currency="EUR"
    )
    assert theirs.symbol == "HOUSE"


def test_manual_asset_fields_are_validated(user):
    with pytest.raises(ValidationError) as error:
        services.asset_create_manual(
            owner=user, symbol="X", name="X", asset_class="spaceship", currency="XXX"
        )
    assert {"asset_class", "currency"} <= set(error.value.message_dict)


def test_manual_prices_are_upserted_for_the_owner(user):
    asset = ManualAssetFactory(owner=user)
    prices = [
        ManualPrice(dt.date(2024, 1, 2), 10.0),
        ManualPrice(dt.date(2024, 1, 3), 11.0, open=10.5, high=11.2, low=10.4, volume=5),
    ]

    first = services.prices_upsert_manual(user=user, asset=asset, prices=prices)
    second = services.prices_upsert_manual(
        user=user, asset=asset, prices=[ManualPrice(dt.date(2024, 1, 3), 12.0)]
    )

    assert (first.inserted, first.updated) == (2, 0)
    assert (second.inserted, second.updated) == (0, 1)
    assert Price.objects.get(asset=asset, date=dt.date(2024, 1, 3)).close == 12.0


def test_one_invalid_manual_price_saves_nothing(user):
    asset = ManualAssetFactory(owner=user)
    too_late = timezone.localdate() + dt.timedelta(days=2)  # a day ahead is allowed (time zones)
    prices = [
        ManualPrice(dt.date(2024, 1, 2), 10.0),
        ManualPrice(dt.date(2024, 1, 3), 0.0),
        ManualPrice(too_late, 10.0),
        ManualPrice(dt.date(2024, 1, 2), 11.0),
    ]

    with pytest.raises(ValidationError) as error:
        services.prices_upsert_manual(user=user, asset=asset, prices=prices)

    problems = error.value.message_dict
    assert set(problems) == {"1", "2", "3"}
    assert "greater than 0" in problems["1"][0]
    assert "future" in problems["2"][0]
    assert "more than once" in problems["3"][0]
    assert not Price.objects.exists()


def test_prices_of_a_catalogue_asset_or_someone_elses_cannot_be_uploaded(user, other_user):
    prices = [ManualPrice(dt.date(2024, 1, 2), 10.0)]
    for asset in (AssetFactory(), ManualAssetFactory(owner=other_user)):
        with pytest.raises(services.AssetNotManualError):
            services.prices_upsert_manual(user=user, asset=asset, prices=prices)
    assert not Price.objects.exists()
