"""The portfolio API under /api/v1/, one module per sub-domain: `portfolios` (portfolios,
transactions, imports, holdings, allocation, performance, income and realized gains, cash
records), `targets` (targets and rebalancing), `strategies` (strategy weights) and
`simulations` (backtests). Each view is thin: validate → the same service or selector as the
page → serialize; `portfolios.api_urls` routes them."""
