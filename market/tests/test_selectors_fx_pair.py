"""The one FX-pair rule (`market.selectors.fx_pair_assets`) and the ensure that creates a pair."""

import datetime as dt

import pytest

from accounts.tests.factories import UserFactory
from market import selectors, services
from market.models import Asset
from market.tests.factories import AssetFactory, ManualAssetFactory, PriceFactory

pytestmark = pytest.mark.django_db

EUR_USD = ["EURUSD=X", "USDEUR=X"]


def fx(symbol: str, *, owner=None, priced: bool = True) -> Asset:
    factory = ManualAssetFactory if owner is not None else AssetFactory
    extra = {"owner": owner} if owner is not None else {}
    asset = factory(symbol=symbol, asset_class="fx", currency=symbol[3:6], **extra)
    if priced:
        PriceFactory(asset=asset, date=dt.date(2024, 1, 2), close=1.1)
    return asset


def chosen(owner, symbols=EUR_USD, *, priced=True) -> Asset | None:
    return selectors.fx_pair_asset(owner_id=owner.pk, symbols=symbols, priced=priced)


def test_the_catalogue_direct_pair_converts():
    owner = UserFactory()
    direct = fx("EURUSD=X")
    fx("USDEUR=X")
    assert chosen(owner) == direct


def test_the_owners_priced_manual_pair_wins_over_the_catalogues():
    owner = UserFactory()
    fx("EURUSD=X")
    manual = fx("EURUSD=X", owner=owner)
    assert chosen(owner) == manual


def test_an_empty_manual_pair_never_hides_the_catalogues_priced_one():
    owner = UserFactory()
    catalogue = fx("EURUSD=X")
    fx("EURUSD=X", owner=owner, priced=False)
    assert chosen(owner) == catalogue


def test_the_inverse_pair_converts_when_no_direct_one_has_prices():
    owner = UserFactory()
    fx("EURUSD=X", priced=False)
    inverse = fx("USDEUR=X")
    assert chosen(owner) == inverse
    assert [
        a.symbol for a in selectors.fx_pair_assets(owner_id=owner.pk, pairs={"EUR": EUR_USD})["EUR"]
    ] == ["USDEUR=X"]


def test_another_owners_manual_pair_and_non_fx_assets_are_not_candidates():
    owner = UserFactory()
    fx("EURUSD=X", owner=UserFactory())
    AssetFactory(symbol="USDEUR=X", asset_class="stock")
    assert chosen(owner) is None


def test_on_assets_loaded_already_the_rule_chooses_as_its_query_does(django_assert_num_queries):
    owner = UserFactory()
    catalogue = fx("EURUSD=X")
    fx("EURUSD=X", owner=owner, priced=False)  # an empty manual pair never counts
    fx("EURUSD=X", owner=UserFactory())  # nor does another owner's
    inverse = fx("USDEUR=X")
    AssetFactory(symbol="USDEUR=X", asset_class="stock", provider="yahoo")  # nor a stock
    loaded = list(Asset.objects.all())
    with django_assert_num_queries(0):
        found = selectors.fx_pair_assets(
            owner_id=owner.pk, pairs={"EUR": EUR_USD}, candidates=loaded
        )
    assert found == selectors.fx_pair_assets(owner_id=owner.pk, pairs={"EUR": EUR_USD})
    assert found == {"EUR": [catalogue, inverse]}


def test_the_ensure_returns_a_stored_pair_even_without_prices_and_else_creates_the_direct_one():
    owner = UserFactory()
    unpriced = fx("USDEUR=X", priced=False)
    assert (
        services.fx_pair_asset_ensure(owner=owner, currency="EUR", base="USD", symbols=EUR_USD)
        == unpriced
    )

    other = UserFactory()
    created = services.fx_pair_asset_ensure(
        owner=other, currency="GBP", base="USD", symbols=["GBPUSD=X", "USDGBP=X"]
    )
    assert (created.symbol, created.asset_class, created.currency, created.owner) == (
        "GBPUSD=X",
        "fx",
        "USD",
        None,
    )
