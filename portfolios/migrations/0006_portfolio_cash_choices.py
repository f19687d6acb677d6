"""Recording cash becomes the portfolio's explicit choice (`Portfolio.records_cash`), and so does
keeping cash per currency (`Portfolio.cash_per_currency`). Existing portfolios keep the numbers
they had: one with any deposit or withdrawal recorded cash (the engine used to infer it), and its
cash was kept per currency, as the engine then did; the others record none and settle in the
base currency (the new default)."""

from django.db import migrations, models


def choose_from_ledgers(apps, schema_editor):
    Portfolio = apps.get_model("portfolios", "Portfolio")
    Transaction = apps.get_model("portfolios", "Transaction")
    with_cash = (
        Transaction.objects.filter(kind__in=["deposit", "withdrawal"])
        .values_list("portfolio_id", flat=True)
        .distinct()
    )
    for portfolio in Portfolio.objects.filter(pk__in=list(with_cash)).only("pk", "ledger_summary"):
        summary = dict(portfolio.ledger_summary or {})
        summary["records_cash"] = True
        summary["cash_per_currency"] = True
        Portfolio.objects.filter(pk=portfolio.pk).update(
            records_cash=True, cash_per_currency=True, ledger_summary=summary
        )


class Migration(migrations.Migration):
    dependencies = [
        ("portfolios", "0005_input_bounds_dates_and_plain_text"),
    ]

    operations = [
        migrations.AddField(
            model_name="portfolio",
            name="cash_per_currency",
            field=models.BooleanField(
                default=False,
                help_text="Keep cash per currency (a multi-currency broker account) instead of "
                "settling every foreign trade in the base currency.",
            ),
        ),
        migrations.AddField(
            model_name="portfolio",
            name="records_cash",
            field=models.BooleanField(
                default=False,
                help_text="Record deposits and withdrawals, and count the cash balance in the "
                "value.",
            ),
        ),
        migrations.RunPython(choose_from_ledgers, migrations.RunPython.noop),
    ]
