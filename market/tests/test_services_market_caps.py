"""Market caps ride on the quote refresh: stored on the asset at most daily, only for stocks and
coins, from the provider (the recorded Yahoo answer's figure here) and never from a request."""

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from market import services
from market.models import Asset
from market.providers.base import MarketCap, QuoteResult, TransientProviderError
from market.tests.factories import AssetFactory, FakeProvider

pytestmark = pytest.mark.django_db

# The recorded quoteSummary answer for AAPL (fixtures/yahoo/quoteSummary-price-AAPL.json).
AAPL_CAP = 4869931925504


def provider_with_cap(now, **extra):
    return FakeProvider(
        "demo",
        quotes={
            "AAPL": QuoteResult("AAPL", 333.69, "USD", now),
            "EURUSD=X": QuoteResult("EURUSD=X", 1.1, "USD", now),
        },
        market_caps={"AAPL": MarketCap("AAPL", float(AAPL_CAP), "USD", now)},
        **extra,
    )


def test_the_quote_refresh_stores_a_stocks_market_cap(use_provider):
    now = timezone.now()
    aapl = AssetFactory(symbol="AAPL")
    fx = AssetFactory(symbol="EURUSD=X", asset_class="fx")
    fake = use_provider(provider_with_cap(now))

    outcome = services.quotes_refresh(asset_ids=[aapl.pk, fx.pk])

    aapl.refresh_from_db()
    assert aapl.market_cap == Decimal(AAPL_CAP)
    assert aapl.market_cap_at is not None
    assert outcome.market_caps_updated == 1
    # Only the stock is asked for: an FX pair has no market cap.
    assert ("market_caps", ("AAPL",)) in fake.calls
    assert Asset.objects.get(pk=fx.pk).market_cap is None


def test_a_fresh_market_cap_is_not_asked_for_again(use_provider):
    now = timezone.now()
    aapl = AssetFactory(symbol="AAPL")
    Asset.objects.filter(pk=aapl.pk).update(
        market_cap=Decimal(1), market_cap_at=now - dt.timedelta(hours=2)
    )
    fake = use_provider(provider_with_cap(now))

    services.quotes_refresh(asset_ids=[aapl.pk])

    assert not [call for call in fake.calls if call[0] == "market_caps"]
    assert Asset.objects.get(pk=aapl.pk).market_cap == Decimal(1)


def test_a_day_old_market_cap_is_replaced(use_provider):
    now = timezone.now()
    aapl = AssetFactory(symbol="AAPL")
    Asset.objects.filter(pk=aapl.pk).update(
        market_cap=Decimal(1), market_cap_at=now - dt.timedelta(days=1)
    )
    use_provider(provider_with_cap(now))

    services.quotes_refresh(asset_ids=[aapl.pk])

    assert Asset.objects.get(pk=aapl.pk).market_cap == Decimal(AAPL_CAP)


def test_a_cap_in_another_currency_is_not_stored(use_provider):
    now = timezone.now()
    aapl = AssetFactory(symbol="AAPL", currency="EUR")
    use_provider(provider_with_cap(now))

    services.quotes_refresh(asset_ids=[aapl.pk])

    assert Asset.objects.get(pk=aapl.pk).market_cap is None


def test_a_market_cap_failure_keeps_the_quotes_and_the_old_cap(use_provider, monkeypatch):
    now = timezone.now()
    aapl = AssetFactory(symbol="AAPL")
    fake = use_provider(provider_with_cap(now))

    def fail(symbols):
        raise TransientProviderError("Too many requests")

    monkeypatch.setattr(fake, "market_caps", fail)

    outcome = services.quotes_refresh(asset_ids=[aapl.pk])

    assert outcome.updated == 1
    assert any("market caps: Too many requests" in error for error in outcome.errors)
    assert Asset.objects.get(pk=aapl.pk).market_cap is None


def test_the_demo_provider_gives_plausible_caps_offline():
    from market.providers.demo import DemoProvider

    caps = DemoProvider().market_caps(["AAPL", "BTC-USD", "SPY", "EURUSD=X"])

    assert set(caps) == {"AAPL", "BTC-USD"}  # an ETF and an FX pair have none
    # 15.4 billion shares at a demo price of tens to hundreds of dollars: 10^11 to 10^13.
    assert 1e11 < caps["AAPL"].market_cap < 1e13
    assert caps["AAPL"].currency == "USD"
