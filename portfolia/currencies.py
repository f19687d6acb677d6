"""ISO 4217 currencies offered for base and transaction currencies, with their display names."""

CURRENCIES: dict[str, str] = {
    "USD": "US dollar",
    "EUR": "Euro",
    "GBP": "Pound sterling",
    "CHF": "Swiss franc",
    "JPY": "Japanese yen",
    "CAD": "Canadian dollar",
    "AUD": "Australian dollar",
    "NZD": "New Zealand dollar",
    "SEK": "Swedish krona",
    "NOK": "Norwegian krone",
    "DKK": "Danish krone",
    "PLN": "Polish złoty",
    "CZK": "Czech koruna",
    "HUF": "Hungarian forint",
    "HKD": "Hong Kong dollar",
    "SGD": "Singapore dollar",
    "CNY": "Chinese yuan",
    "INR": "Indian rupee",
    "KRW": "South Korean won",
    "BRL": "Brazilian real",
    "MXN": "Mexican peso",
    "ZAR": "South African rand",
    "ILS": "Israeli new shekel",
    "TRY": "Turkish lira",
}

CURRENCY_CHOICES: list[tuple[str, str]] = [
    (code, f"{code} — {name}") for code, name in CURRENCIES.items()
]
