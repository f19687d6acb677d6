"""Replaces `Asset.prices_changed_from` (the earliest date of the last price write) by
`price_changes`, a log of the last writes (`portfolia.changelog`), started from it."""

from django.db import migrations, models


def fill(apps, schema_editor):
    Asset = apps.get_model("market", "Asset")
    written = Asset.objects.filter(prices_changed_from__isnull=False, price_version__gt=0)
    for asset in written.only("pk", "price_version", "prices_changed_from"):
        asset.price_changes = [[asset.price_version, asset.prices_changed_from.isoformat()]]
        asset.save(update_fields=["price_changes"])


class Migration(migrations.Migration):
    dependencies = [
        ("market", "0006_asset_first_last_price_date"),
    ]

    operations = [
        migrations.AddField(
            model_name="asset",
            name="price_changes",
            field=models.JSONField(blank=True, default=list, editable=False),
        ),
        migrations.RunPython(fill, migrations.RunPython.noop),
        migrations.RemoveField(
            model_name="asset",
            name="prices_changed_from",
        ),
    ]
