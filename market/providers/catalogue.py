"""The demo provider's built-in catalogue: well-known tickers across every asset class.

Symbols follow Yahoo's conventions so a demo portfolio reads like a real one. ``level`` is the
rough price at the start of 2024 (``ANCHOR_DATE`` in ``demo.py``), where the simulated series is
pinned (split-adjusted: prices before a later split are as traded, times its ratio);
``dividend_yield`` is the annual yield paid in quarterly instalments; ``volatility``
overrides the asset class's typical annual volatility for names known to swing more or less;
``split`` (date, ratio) is a real split the demo reports and prices as it happened, in place of
the one a stock may get from its symbol (the README's CSV example records NVDA's).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from .base import AssetClass


@dataclass(frozen=True, slots=True)
class CatalogueEntry:
    symbol: str
    name: str
    asset_class: AssetClass
    currency: str
    exchange: str
    level: float
    dividend_yield: float = 0.0
    volatility: float | None = None
    split: tuple[dt.date, int] | None = None


def _e(
    symbol: str,
    name: str,
    asset_class: AssetClass,
    currency: str,
    exchange: str,
    level: float,
    dividend_yield: float = 0.0,
    volatility: float | None = None,
    split: tuple[dt.date, int] | None = None,
) -> CatalogueEntry:
    return CatalogueEntry(
        symbol, name, asset_class, currency, exchange, level, dividend_yield, volatility, split
    )


NVDA_SPLIT = (dt.date(2024, 6, 10), 10)  # the real 10-for-1, as the README's CSV example records

CATALOGUE: tuple[CatalogueEntry, ...] = (
    # Stocks: United States
    _e("AAPL", "Apple Inc.", "stock", "USD", "NASDAQ", 185.0, 0.005),
    _e("MSFT", "Microsoft Corporation", "stock", "USD", "NASDAQ", 370.0, 0.008),
    _e("NVDA", "NVIDIA Corporation", "stock", "USD", "NASDAQ", 48.0, 0.0003, 0.45, NVDA_SPLIT),
    _e("AMZN", "Amazon.com, Inc.", "stock", "USD", "NASDAQ", 150.0),
    _e("GOOGL", "Alphabet Inc. Class A", "stock", "USD", "NASDAQ", 140.0),
    _e("META", "Meta Platforms, Inc.", "stock", "USD", "NASDAQ", 345.0),
    _e("TSLA", "Tesla, Inc.", "stock", "USD", "NASDAQ", 250.0, 0.0, 0.55),
    _e("BRK-B", "Berkshire Hathaway Inc. Class B", "stock", "USD", "NYSE", 360.0),
    _e("JPM", "JPMorgan Chase & Co.", "stock", "USD", "NYSE", 170.0, 0.025),
    _e("V", "Visa Inc.", "stock", "USD", "NYSE", 260.0, 0.008),
    _e("JNJ", "Johnson & Johnson", "stock", "USD", "NYSE", 157.0, 0.03),
    _e("XOM", "Exxon Mobil Corporation", "stock", "USD", "NYSE", 100.0, 0.037),
    _e("KO", "The Coca-Cola Company", "stock", "USD", "NYSE", 59.0, 0.031),
    _e("PG", "The Procter & Gamble Company", "stock", "USD", "NYSE", 146.0, 0.025),
    # Stocks: Europe and elsewhere
    _e("ASML.AS", "ASML Holding N.V.", "stock", "EUR", "Amsterdam", 680.0, 0.009),
    _e("SAP.DE", "SAP SE", "stock", "EUR", "XETRA", 140.0, 0.015),
    _e("SIE.DE", "Siemens Aktiengesellschaft", "stock", "EUR", "XETRA", 168.0, 0.028),
    _e("MC.PA", "LVMH Moët Hennessy Louis Vuitton SE", "stock", "EUR", "Paris", 730.0, 0.018),
    _e("NESN.SW", "Nestlé S.A.", "stock", "CHF", "SIX Swiss", 98.0, 0.03),
    _e("NOVO-B.CO", "Novo Nordisk A/S", "stock", "DKK", "Copenhagen", 700.0, 0.013),
    _e("SHEL.L", "Shell plc", "stock", "GBP", "London", 25.8, 0.04),
    _e("HSBA.L", "HSBC Holdings plc", "stock", "GBP", "London", 6.4, 0.065),
    _e("AZN.L", "AstraZeneca PLC", "stock", "GBP", "London", 106.0, 0.022),
    _e("7203.T", "Toyota Motor Corporation", "stock", "JPY", "Tokyo", 2600.0, 0.024),
    _e("0700.HK", "Tencent Holdings Limited", "stock", "HKD", "Hong Kong", 290.0, 0.008),
    _e("RY.TO", "Royal Bank of Canada", "stock", "CAD", "Toronto", 133.0, 0.04),
    # Exchange-traded funds
    _e("SPY", "SPDR S&P 500 ETF Trust", "etf", "USD", "NYSE Arca", 472.0, 0.013),
    _e("VOO", "Vanguard S&P 500 ETF", "etf", "USD", "NYSE Arca", 434.0, 0.014),
    _e("IVV", "iShares Core S&P 500 ETF", "etf", "USD", "NYSE Arca", 475.0, 0.014),
    _e("VTI", "Vanguard Total Stock Market ETF", "etf", "USD", "NYSE Arca", 237.0, 0.014),
    _e("QQQ", "Invesco QQQ Trust", "etf", "USD", "NASDAQ", 405.0, 0.006, 0.2),
    _e("VEA", "Vanguard FTSE Developed Markets ETF", "etf", "USD", "NYSE Arca", 47.9, 0.03),
    _e("VWO", "Vanguard FTSE Emerging Markets ETF", "etf", "USD", "NYSE Arca", 41.1, 0.03),
    _e("SCHD", "Schwab U.S. Dividend Equity ETF", "etf", "USD", "NYSE Arca", 76.0, 0.034),
    _e("VNQ", "Vanguard Real Estate ETF", "etf", "USD", "NYSE Arca", 88.0, 0.04),
    _e("GLD", "SPDR Gold Shares", "etf", "USD", "NYSE Arca", 190.0),
    _e("VWCE.DE", "Vanguard FTSE All-World UCITS ETF (USD) Acc", "etf", "EUR", "XETRA", 106.0),
    _e("IWDA.AS", "iShares Core MSCI World UCITS ETF USD (Acc)", "etf", "EUR", "Amsterdam", 83.0),
    _e("CSPX.L", "iShares Core S&P 500 UCITS ETF USD (Acc)", "etf", "USD", "London", 475.0),
    _e(
        "VUSA.L",
        "Vanguard S&P 500 UCITS ETF (USD) Distributing",
        "etf",
        "GBP",
        "London",
        74.0,
        0.012,
    ),
    # Bonds (bond funds and ETFs)
    _e("AGG", "iShares Core U.S. Aggregate Bond ETF", "bond", "USD", "NYSE Arca", 99.0, 0.033),
    _e("BND", "Vanguard Total Bond Market ETF", "bond", "USD", "NASDAQ", 73.0, 0.033),
    _e("TLT", "iShares 20+ Year Treasury Bond ETF", "bond", "USD", "NASDAQ", 98.0, 0.037, 0.14),
    _e("IEF", "iShares 7-10 Year Treasury Bond ETF", "bond", "USD", "NASDAQ", 95.0, 0.03),
    _e("SHY", "iShares 1-3 Year Treasury Bond ETF", "bond", "USD", "NASDAQ", 82.0, 0.035, 0.02),
    _e(
        "VGEA.DE",
        "Vanguard EUR Eurozone Government Bond UCITS ETF",
        "bond",
        "EUR",
        "XETRA",
        22.5,
        0.02,
    ),
    # Mutual funds
    _e("VFIAX", "Vanguard 500 Index Fund Admiral Shares", "fund", "USD", "Nasdaq", 435.0, 0.014),
    _e(
        "VTSAX",
        "Vanguard Total Stock Market Index Fund Admiral Shares",
        "fund",
        "USD",
        "Nasdaq",
        114.0,
        0.014,
    ),
    _e("FXAIX", "Fidelity 500 Index Fund", "fund", "USD", "Nasdaq", 166.0, 0.013),
    _e(
        "VTIAX",
        "Vanguard Total International Stock Index Fund Admiral Shares",
        "fund",
        "USD",
        "Nasdaq",
        31.0,
        0.03,
    ),
    # Crypto
    _e("BTC-USD", "Bitcoin USD", "crypto", "USD", "CCC", 44000.0),
    _e("BTC-EUR", "Bitcoin EUR", "crypto", "EUR", "CCC", 40000.0),
    _e("ETH-USD", "Ethereum USD", "crypto", "USD", "CCC", 2350.0),
    _e("SOL-USD", "Solana USD", "crypto", "USD", "CCC", 100.0, 0.0, 0.9),
    _e("XRP-USD", "XRP USD", "crypto", "USD", "CCC", 0.61),
    _e("ADA-USD", "Cardano USD", "crypto", "USD", "CCC", 0.6),
    _e("DOGE-USD", "Dogecoin USD", "crypto", "USD", "CCC", 0.09, 0.0, 0.9),
    # Currencies (EURUSD=X is the price of one EUR in USD)
    _e("EURUSD=X", "EUR/USD", "fx", "USD", "CCY", 1.08),
    _e("GBPUSD=X", "GBP/USD", "fx", "USD", "CCY", 1.27),
    _e("USDJPY=X", "USD/JPY", "fx", "JPY", "CCY", 150.0),
    _e("USDCHF=X", "USD/CHF", "fx", "CHF", "CCY", 0.88),
    _e("EURGBP=X", "EUR/GBP", "fx", "GBP", "CCY", 0.85),
    _e("EURCHF=X", "EUR/CHF", "fx", "CHF", "CCY", 0.95),
    _e("EURJPY=X", "EUR/JPY", "fx", "JPY", "CCY", 162.0),
    _e("AUDUSD=X", "AUD/USD", "fx", "USD", "CCY", 0.67),
    _e("USDCAD=X", "USD/CAD", "fx", "CAD", "CCY", 1.35),
    # Commodities (front-month futures)
    _e("GC=F", "Gold", "commodity", "USD", "COMEX", 2050.0),
    _e("SI=F", "Silver", "commodity", "USD", "COMEX", 23.5, 0.0, 0.25),
    _e("CL=F", "Crude Oil (WTI)", "commodity", "USD", "NY Mercantile", 72.0, 0.0, 0.35),
    _e("BZ=F", "Brent Crude Oil", "commodity", "USD", "NY Mercantile", 77.0, 0.0, 0.32),
    _e("NG=F", "Natural Gas", "commodity", "USD", "NY Mercantile", 2.6, 0.0, 0.5),
    _e("HG=F", "Copper", "commodity", "USD", "COMEX", 3.9, 0.0, 0.2),
    # Indices
    _e("^GSPC", "S&P 500", "index", "USD", "SNP", 4750.0),
    _e("^DJI", "Dow Jones Industrial Average", "index", "USD", "DJI", 37500.0),
    _e("^IXIC", "NASDAQ Composite", "index", "USD", "Nasdaq GIDS", 15000.0, 0.0, 0.2),
    _e("^STOXX50E", "EURO STOXX 50", "index", "EUR", "STOXX", 4500.0),
    _e("^GDAXI", "DAX Performance Index", "index", "EUR", "XETRA", 16750.0),
    _e("^FTSE", "FTSE 100", "index", "GBP", "FTSE Index", 7730.0),
    _e("^N225", "Nikkei 225", "index", "JPY", "Osaka", 33500.0),
)

BY_SYMBOL: dict[str, CatalogueEntry] = {entry.symbol: entry for entry in CATALOGUE}
