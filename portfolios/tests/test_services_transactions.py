"""transaction_create, transaction_update and transaction_delete: row rules, the ledger replayed
with the change, and the market data ensured after the commit."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from market.models import Asset
from portfolios import services
from portfolios.errors import LedgerViolation
from portfolios.models import Transaction
from portfolios.tests.factories import (
    AssetFactory,
    FxAssetFactory,
    ManualAssetFactory,
    PortfolioFactory,
    TransactionFactory,
)

pytestmark = pytest.mark.django_db

JAN = dt.date(2024, 1, 2)


@pytest.fixture
def portfolio():
    return PortfolioFactory(base_currency="USD")


@pytest.fixture
def aapl():
    return AssetFactory(symbol="AAPL", currency="USD")


def buy(portfolio, asset, quantity, *, date=JAN, price=100, fee=0, **extra):
    return services.transaction_create(
        portfolio=portfolio,
        kind="buy",
        date=date,
        asset=asset,
        quantity=Decimal(quantity),
        price=Decimal(price),
        fee=Decimal(fee),
        **extra,
    )


def sell(portfolio, asset, quantity, *, date, price=100, fee=0):
    return services.transaction_create(
        portfolio=portfolio,
        kind="sell",
        date=date,
        asset=asset,
        quantity=Decimal(quantity),
        price=Decimal(price),
        fee=Decimal(fee),
    )


def test_a_buy_is_stored_in_the_assets_currency_with_a_zero_fee(portfolio, aapl):
    txn = services.transaction_create(
        portfolio=portfolio,
        kind="buy",
        date=JAN,
        asset=aapl,
        quantity=Decimal(10),
        price=Decimal(5),
    )
    txn.refresh_from_db()
    assert (txn.currency, txn.fee, txn.quantity, txn.price) == ("USD", 0, 10, 5)


def test_fields_a_kind_does_not_use_are_stored_empty(portfolio, aapl):
    txn = buy(portfolio, aapl, 10, amount=Decimal(99), ratio=Decimal(2))
    txn.refresh_from_db()
    assert txn.amount is None and txn.ratio is None


def test_a_deposit_needs_an_amount_above_zero(portfolio):
    portfolio = PortfolioFactory(owner=portfolio.owner, base_currency="USD", records_cash=True)
    with pytest.raises(ValidationError) as error:
        services.transaction_create(portfolio=portfolio, kind="deposit", date=JAN)
    assert "amount" in error.value.message_dict
    with pytest.raises(ValidationError) as error:
        services.transaction_create(
            portfolio=portfolio, kind="deposit", date=JAN, amount=Decimal(-5)
        )
    assert error.value.message_dict["amount"] == ["The amount must be above zero."]


def test_a_buy_needs_an_asset_a_quantity_and_a_price(portfolio):
    with pytest.raises(ValidationError) as error:
        services.transaction_create(portfolio=portfolio, kind="buy", date=JAN)
    assert {"asset", "quantity", "price"} <= set(error.value.message_dict)


def test_a_dividend_needs_its_asset(portfolio):
    with pytest.raises(ValidationError) as error:
        services.transaction_create(
            portfolio=portfolio, kind="dividend", date=JAN, amount=Decimal(3)
        )
    assert "asset" in error.value.message_dict


def test_a_trade_must_be_in_the_currency_the_asset_trades_in(portfolio):
    vwce = AssetFactory(symbol="VWCE.DE", currency="EUR")
    with pytest.raises(ValidationError) as error:
        buy(portfolio, vwce, 1, currency="USD")
    assert "currency" in error.value.message_dict


def test_someone_elses_manual_asset_cannot_be_used(portfolio, other_user):
    private = ManualAssetFactory(owner=other_user)
    with pytest.raises(ValidationError) as error:
        buy(portfolio, private, 1)
    assert "asset" in error.value.message_dict


def test_an_external_id_is_unique_within_a_portfolio(portfolio, aapl):
    buy(portfolio, aapl, 1, external_id="BRK-1")
    with pytest.raises(ValidationError) as error:
        buy(portfolio, aapl, 2, external_id="BRK-1")
    assert "external_id" in error.value.message_dict
    buy(PortfolioFactory(), aapl, 2, external_id="BRK-1")  # fine elsewhere


def test_selling_more_than_held_is_rejected(portfolio, aapl):
    buy(portfolio, aapl, 10)
    with pytest.raises(LedgerViolation) as error:
        sell(portfolio, aapl, 11, date=dt.date(2024, 2, 1))
    assert error.value.message == "Sell of 11 on 1 Feb 2024 exceeds the 10 held"
    assert error.value.status_code == 422
    assert Transaction.objects.count() == 1


def test_selling_before_the_buy_is_rejected(portfolio, aapl):
    buy(portfolio, aapl, 10, date=dt.date(2024, 3, 1))
    with pytest.raises(LedgerViolation):
        sell(portfolio, aapl, 5, date=dt.date(2024, 2, 1))


def test_a_split_of_something_not_held_is_rejected(portfolio, aapl):
    with pytest.raises(LedgerViolation) as error:
        services.transaction_create(
            portfolio=portfolio, kind="split", date=JAN, asset=aapl, ratio=Decimal(4)
        )
    assert "not held" in error.value.message


def test_an_edit_that_breaks_a_later_sell_is_refused_naming_that_sell(portfolio, aapl):
    first = buy(portfolio, aapl, 10)
    later = sell(portfolio, aapl, 8, date=dt.date(2024, 3, 1))
    with pytest.raises(LedgerViolation) as error:
        services.transaction_update(transaction=first, data={"quantity": Decimal(5)})
    assert error.value.message.startswith(
        "This change would make the sell of 8 AAPL on 1 Mar 2024 impossible"
    )
    assert error.value.transaction_id == str(later.public_id)
    first.refresh_from_db()
    assert first.quantity == 10


def test_a_delete_that_breaks_a_later_sell_is_refused_naming_that_sell(portfolio, aapl):
    first = buy(portfolio, aapl, 10)
    sell(portfolio, aapl, 8, date=dt.date(2024, 3, 1))
    with pytest.raises(LedgerViolation) as error:
        services.transaction_delete(transaction=first)
    assert error.value.message.startswith(
        "Deleting the buy of 10 AAPL on 2 Jan 2024 would make the sell of 8 AAPL on 1 Mar 2024 "
        "impossible"
    )
    assert Transaction.objects.count() == 2


def test_moving_a_buy_after_its_sell_is_refused(portfolio, aapl):
    first = buy(portfolio, aapl, 10)
    sell(portfolio, aapl, 8, date=dt.date(2024, 3, 1))
    with pytest.raises(LedgerViolation):
        services.transaction_update(transaction=first, data={"date": dt.date(2024, 4, 1)})


def test_edits_and_deletes_that_keep_the_history_possible_are_saved(portfolio, aapl):
    first = buy(portfolio, aapl, 10)
    later = sell(portfolio, aapl, 8, date=dt.date(2024, 3, 1))
    services.transaction_update(transaction=first, data={"quantity": Decimal(8)})
    services.transaction_delete(transaction=later)
    services.transaction_delete(transaction=first)
    assert not Transaction.objects.exists()


def test_changing_the_asset_follows_the_new_assets_currency(portfolio, aapl):
    txn = buy(portfolio, aapl, 1)
    sap = AssetFactory(symbol="SAP.DE", currency="EUR")
    FxAssetFactory()
    services.transaction_update(transaction=txn, data={"asset": sap})
    txn.refresh_from_db()
    assert (txn.asset, txn.currency) == (sap, "EUR")


def test_history_is_ensured_for_the_asset_after_the_commit(
    portfolio, aapl, history_calls, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        buy(portfolio, aapl, 10, date=dt.date(2023, 5, 1))
    assert len(callbacks) == 1
    assert history_calls == [("AAPL", dt.date(2023, 5, 1))]


def test_nothing_is_queued_when_the_write_is_rolled_back(
    portfolio, aapl, history_calls, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(LedgerViolation):
        sell(portfolio, aapl, 1, date=JAN)
    assert history_calls == []


def test_a_foreign_currency_ensures_the_fx_pair_from_the_catalogue(
    portfolio, history_calls, django_capture_on_commit_callbacks
):
    sap = AssetFactory(symbol="SAP.DE", currency="EUR")
    pair = FxAssetFactory(symbol="EURUSD=X")
    with django_capture_on_commit_callbacks(execute=True):
        buy(portfolio, sap, 3, date=dt.date(2023, 6, 1))
    assert ("EURUSD=X", dt.date(2023, 6, 1)) in history_calls
    assert Asset.objects.filter(symbol__endswith="=X").get() == pair


def test_the_inverse_fx_pair_serves_when_the_direct_one_is_missing(
    history_calls, django_capture_on_commit_callbacks
):
    portfolio = PortfolioFactory(base_currency="EUR")
    msft = AssetFactory(symbol="MSFT", currency="USD")
    FxAssetFactory(symbol="EURUSD=X")
    with django_capture_on_commit_callbacks(execute=True):
        buy(portfolio, msft, 3)
    assert ("EURUSD=X", JAN) in history_calls
    assert not Asset.objects.filter(symbol="USDEUR=X").exists()


def test_a_missing_fx_pair_is_created_from_the_provider_and_backfilled(
    portfolio, history_calls, django_capture_on_commit_callbacks
):
    sap = AssetFactory(symbol="SAP.DE", currency="EUR")
    with django_capture_on_commit_callbacks(execute=True):
        buy(portfolio, sap, 3)
    pair = Asset.objects.get(symbol="EURUSD=X")
    assert (pair.asset_class, pair.currency, pair.owner) == ("fx", "USD", None)
    assert ("EURUSD=X", JAN) in history_calls


@pytest.mark.parametrize(
    "fields",
    [
        {"kind": "buy", "asset": None, "quantity": 1, "price": 1},
        {"kind": "buy", "quantity": 0, "price": 1},
        {"kind": "buy", "quantity": None, "price": 1},
        {"kind": "sell", "quantity": 1, "price": -1},
        {"kind": "sell", "quantity": 1, "price": None},
        {"kind": "split", "ratio": 0},
        {"kind": "split", "ratio": None},
        {"kind": "split", "asset": None, "ratio": 2},
        {"kind": "dividend", "asset": None, "amount": 1},
        {"kind": "dividend", "amount": 0},
        {"kind": "deposit", "asset": None, "amount": None},
        {"kind": "withdrawal", "asset": None, "amount": -3},
        {"kind": "interest", "asset": None, "amount": 0},
        {"kind": "fee", "asset": None, "amount": None},
        {"kind": "tax", "asset": None, "amount": 0},
        {"kind": "deposit", "amount": 5},  # a deposit naming an asset
        {"kind": "buy", "quantity": 1, "price": 1, "fee": -1},
        {"kind": "buy", "quantity": 1, "price": 1, "fx_rate": 0},
        {"kind": "bogus", "amount": 1},
    ],
)
def test_the_database_refuses_rows_that_break_the_rules_of_their_kind(portfolio, aapl, fields):
    values = {"quantity": None, "price": None, "asset": aapl, **fields}
    with pytest.raises(IntegrityError), transaction.atomic():
        Transaction.objects.create(portfolio=portfolio, date=JAN, currency="USD", **values)


def test_the_database_accepts_each_kind_done_right(portfolio, aapl):
    rows = [
        {"kind": "buy", "asset": aapl, "quantity": 1, "price": 0},
        {"kind": "sell", "asset": aapl, "quantity": 1, "price": 2},
        {"kind": "split", "asset": aapl, "ratio": Decimal("0.1")},
        {"kind": "dividend", "asset": aapl, "amount": 1},
        {"kind": "interest", "amount": 1},
        {"kind": "fee", "asset": aapl, "amount": 1},
        {"kind": "tax", "amount": 1},
        {"kind": "deposit", "amount": 1},
        {"kind": "withdrawal", "amount": 1, "fx_rate": Decimal("1.1")},
    ]
    for row in rows:
        Transaction.objects.create(portfolio=portfolio, date=JAN, currency="USD", **row)
    assert Transaction.objects.count() == len(rows)


def test_the_model_rules_match_field_by_field(portfolio, aapl):
    txn = TransactionFactory.build(
        portfolio=portfolio, asset=aapl, kind="sell", quantity=Decimal(0), price=Decimal(-1)
    )
    with pytest.raises(ValidationError) as error:
        txn.full_clean()
    assert error.value.message_dict["quantity"] == ["The quantity must be above zero."]
    assert error.value.message_dict["price"] == ["The price cannot be negative."]
