"""Preview time of a 10,000-row broker file (issue 12: under 2 s), and the provider look-ups it
makes (bounded by distinct instruments, not rows).

Builds a Trading 212 export from the real sample's header (portfolios/tests/fixtures/brokers)
with 10,000 rows over 6 instruments, then times `transaction_import(dry_run=True)` against the
test database, the demo provider answering searches:

    .venv/bin/pytest bench/broker_import.py -q -s -p no:cacheprovider
"""

from __future__ import annotations

import datetime as dt
import time
from pathlib import Path

import pytest

from market import selectors as market_selectors
from portfolios import services
from portfolios.tests.factories import PortfolioFactory

ROWS = 10_000
SAMPLE = Path(__file__).resolve().parents[1] / "portfolios/tests/fixtures/brokers"
INSTRUMENTS = [  # ISIN, Trading 212 ticker, the demo catalogue's symbol
    ("US0378331005", "AAPL", "AAPL"),
    ("US5949181045", "MSFT", "MSFT"),
    ("US67066G1040", "NVDA", "NVDA"),
    ("US0231351067", "AMZN", "AMZN"),
    ("US88160R1014", "TSLA", "TSLA"),
    ("US78462F1030", "SPY", "SPY"),
]


def broker_file() -> str:
    header = (SAMPLE / "trading212-export.csv").read_text().split("\n", 1)[0]
    lines = [header, 'Deposit,2020-01-02 09:00:00,,,,,,,,,,10000000.00,"USD",,,,dep-0,,']
    day = dt.date(2020, 1, 3)
    for index in range(ROWS - 1):
        isin, ticker, _symbol = INSTRUMENTS[index % len(INSTRUMENTS)]
        action = "Market sell" if index % 5 == 4 and index > 30 else "Market buy"
        when = day + dt.timedelta(days=index // 12)
        lines.append(
            f'{action},{when} 14:30:{index % 60:02d},{isin},{ticker},"{ticker} Inc",0.5,100.25,'
            f'USD,1.0,,"USD",50.13,"USD",,,,EOF{index},,'
        )
    return "\n".join(lines) + "\n"


@pytest.mark.django_db
def test_preview_of_a_10000_row_broker_file(user, monkeypatch):
    portfolio = PortfolioFactory(owner=user, base_currency="USD", records_cash=True)
    queries: list[str] = []
    real = market_selectors.provider_search

    def counting(*, query, **kwargs):
        queries.append(query)
        return real(query=query, **kwargs)

    monkeypatch.setattr(market_selectors, "provider_search", counting)
    text = broker_file()
    start = time.perf_counter()
    report = services.transaction_import(portfolio=portfolio, file=text, dry_run=True)
    elapsed = time.perf_counter() - start
    print(
        f"\n{ROWS} rows ({len(text) / 1e6:.2f} MB): preview {elapsed:.2f} s, "
        f"{len(queries)} provider searches, totals {report.totals}"
    )
    assert report.format == "trading212" and report.totals["new"] == ROWS
