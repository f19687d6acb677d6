"""Adds `Portfolio.ledger_summary` and fills it for the portfolios that exist (what
`portfolios.services.ledger_summary` computes, written here against the historical models)."""

from django.db import migrations, models
from django.db.models import Count, Min, Q


def fill(apps, schema_editor):
    Portfolio = apps.get_model("portfolios", "Portfolio")
    Transaction = apps.get_model("portfolios", "Transaction")
    for portfolio_id in Portfolio.objects.values_list("pk", flat=True):
        rows = list(
            Transaction.objects.filter(portfolio_id=portfolio_id)
            .values_list("asset_id", "currency")
            .annotate(
                count=Count("id"),
                first=Min("date"),
                cash=Count("id", filter=Q(kind__in=["deposit", "withdrawal"])),
            )
            .order_by()
        )
        first = min((row[3] for row in rows), default=None)
        Portfolio.objects.filter(pk=portfolio_id).update(
            ledger_summary={
                "count": sum(row[2] for row in rows),
                "first": first.isoformat() if first else None,
                "records_cash": any(row[4] for row in rows),
                "assets": sorted({row[0] for row in rows if row[0] is not None}),
                "currencies": sorted({row[1] for row in rows}),
            }
        )


class Migration(migrations.Migration):
    dependencies = [
        ("portfolios", "0002_portfolio_ledger_changed_from_and_more"),
    ]

    operations = [
        migrations.AddField(
            model_name="portfolio",
            name="ledger_summary",
            field=models.JSONField(blank=True, default=dict, editable=False),
        ),
        migrations.RunPython(fill, migrations.RunPython.noop),
    ]
