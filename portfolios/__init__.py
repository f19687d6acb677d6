"""Portfolios: what the investor did — portfolios, transactions, the ledger engine and its reports."""
