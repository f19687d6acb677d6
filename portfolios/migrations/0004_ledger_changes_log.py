"""Replaces `Portfolio.ledger_changed_from` (the earliest date of the last write) by the log of
the last writes kept in `ledger_summary["changes"]` (`portfolia.changelog`), started from it."""

from django.db import migrations


def fill(apps, schema_editor):
    Portfolio = apps.get_model("portfolios", "Portfolio")
    written = Portfolio.objects.filter(ledger_changed_from__isnull=False, ledger_version__gt=0)
    for portfolio in written.only("pk", "ledger_version", "ledger_changed_from", "ledger_summary"):
        summary = dict(portfolio.ledger_summary or {})
        summary["changes"] = [
            [portfolio.ledger_version, portfolio.ledger_changed_from.isoformat()]
        ]
        Portfolio.objects.filter(pk=portfolio.pk).update(ledger_summary=summary)


class Migration(migrations.Migration):
    dependencies = [
        ("portfolios", "0003_portfolio_ledger_summary"),
    ]

    operations = [
        migrations.RunPython(fill, migrations.RunPython.noop),
        migrations.RemoveField(
            model_name="portfolio",
            name="ledger_changed_from",
        ),
    ]
