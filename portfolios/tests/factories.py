"""factory-boy factories for portfolios; market rows come from the market app's factories."""

import datetime
from decimal import Decimal

import factory

from accounts.tests.factories import UserFactory
from market.models import Asset, Price
from market.services import prices_changed
from market.tests.factories import AssetFactory, ManualAssetFactory, PriceFactory
from portfolios.models import Portfolio, Transaction
from portfolios.services import transactions_load

__all__ = [
    "AssetFactory",
    "FxAssetFactory",
    "ManualAssetFactory",
    "PortfolioFactory",
    "PriceFactory",
    "TransactionFactory",
    "portfolio_with_holdings",
    "prices",
]


class FxAssetFactory(AssetFactory):
    """`EURUSD=X`-style pair: USD per EUR."""

    symbol = "EURUSD=X"
    name = "EUR/USD"
    asset_class = "fx"
    currency = "USD"
    exchange = "CCY"


class PortfolioFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Portfolio

    owner = factory.SubFactory(UserFactory)
    name = factory.Sequence(lambda n: f"Portfolio {n}")
    base_currency = "USD"
    cost_basis_method = "fifo"


class TransactionFactory(factory.django.DjangoModelFactory):
    """A buy by default; pass kind and the fields it needs for others. Writes directly (no
    ledger check, but through `services.transactions_load`, which moves the ledger version): use the
    services when the test is about validation."""

    class Meta:
        model = Transaction

    portfolio = factory.SubFactory(PortfolioFactory)
    kind = "buy"
    date = datetime.date(2024, 1, 2)
    asset = factory.SubFactory(AssetFactory)
    quantity = Decimal(10)
    price = Decimal(100)
    fee = Decimal(0)
    currency = factory.LazyAttribute(lambda txn: txn.asset.currency if txn.asset else "USD")

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        row = model_class(*args, **kwargs)
        return transactions_load(portfolio=row.portfolio, transactions=[row])[0]


def prices(asset: Asset, closes: dict[datetime.date, float]) -> None:
    """Store daily closes for an asset."""
    Price.objects.bulk_create(
        [Price(asset=asset, date=day, close=close) for day, close in closes.items()]
    )
    if closes:
        prices_changed(asset_id=asset.pk, since=min(closes))  # written around price_upsert


def portfolio_with_holdings(count: int, **portfolio_fields) -> Portfolio:
    """A portfolio holding `count` assets (bought 2024-01-02), each with a few closes."""
    portfolio = PortfolioFactory(**portfolio_fields)
    for index in range(count):
        asset = AssetFactory()
        prices(
            asset,
            {datetime.date(2024, 1, 2): 10.0 + index, datetime.date(2024, 3, 1): 11.0 + index},
        )
        TransactionFactory(
            portfolio=portfolio, asset=asset, date=datetime.date(2024, 1, 2), quantity=1, price=10
        )
    return portfolio
