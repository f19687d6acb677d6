"""Market: what the world says assets are worth — assets, prices, quotes, providers and fetch jobs."""
