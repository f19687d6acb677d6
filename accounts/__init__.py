"""Accounts: the custom user (email login, base currency), sign-up, profile and auth API."""
