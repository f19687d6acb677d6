"""Adds `Asset.first_price_date` and `last_price_date` and fills them from the stored prices."""

from django.db import migrations, models
from django.db.models import Max, Min


def fill(apps, schema_editor):
    Asset = apps.get_model("market", "Asset")
    Price = apps.get_model("market", "Price")
    spans = Price.objects.values("asset_id").annotate(first=Min("date"), last=Max("date"))
    for span in spans.order_by():
        Asset.objects.filter(pk=span["asset_id"]).update(
            first_price_date=span["first"], last_price_date=span["last"]
        )


class Migration(migrations.Migration):
    dependencies = [
        ("market", "0005_asset_price_version"),
    ]

    operations = [
        migrations.AddField(
            model_name="asset",
            name="first_price_date",
            field=models.DateField(blank=True, editable=False, null=True),
        ),
        migrations.AddField(
            model_name="asset",
            name="last_price_date",
            field=models.DateField(blank=True, editable=False, null=True),
        ),
        migrations.RunPython(fill, migrations.RunPython.noop),
    ]
