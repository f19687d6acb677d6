"""The README's CSV example, imported into a portfolio priced by the demo provider (as on a fresh
`make run`), gives true numbers: NVDA's recorded 10-for-1 split of 10 June 2024 is one the demo
data has, so the position is 50 shares valued near their cost, not a 92 % loss."""

from decimal import Decimal
from pathlib import Path

import pytest

from market.models import Price
from market.services import ensure_history
from portfolios import selectors, services
from portfolios.models import Transaction
from portfolios.tests.factories import PortfolioFactory

pytestmark = pytest.mark.django_db

README = Path(__file__).resolve().parents[2] / "README.md"


def readme_csv_example() -> str:
    section = README.read_text().split("**Transactions CSV**", 1)[1]
    return section.split("```", 2)[1].strip() + "\n"


def test_the_readme_csv_example_imports_to_true_holdings_on_the_demo_data(
    django_capture_on_commit_callbacks, monkeypatch
):
    # The histories are fetched for real, from the demo provider (tasks run eagerly in tests).
    monkeypatch.setattr(
        "portfolios.services.market_data._history_ensure",
        lambda asset, since: ensure_history(asset=asset, since=since),
    )
    portfolio = PortfolioFactory(base_currency="USD", records_cash=True)  # it has a deposit
    csv_text = readme_csv_example()
    assert "split,NVDA" in csv_text
    with django_capture_on_commit_callbacks(execute=True):  # the demo histories, fetched
        report = services.transaction_import(portfolio=portfolio, file=csv_text, dry_run=False)
    assert report.saved and report.error_count == 0

    buy = Transaction.objects.get(portfolio=portfolio, kind="buy", asset__symbol="NVDA")
    close = Price.objects.get(asset=buy.asset, date=buy.date).close  # as traded, before the split
    assert abs(close / float(buy.price) - 1) < 0.05
    rows = {row.asset.symbol: row for row in selectors.holdings(portfolio=portfolio).rows}
    nvda = rows["NVDA"]
    assert nvda.quantity == 50
    assert nvda.price_is_market
    assert Decimal("-0.6") < nvda.unrealized_gain_pct < Decimal("1.5")  # a move, not a 92 % loss
    split = Transaction.objects.get(portfolio=portfolio, kind="split")
    assert selectors.transaction_warnings(transaction=split) == []  # the provider reports it
