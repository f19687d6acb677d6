"""Price fields validate as uploads and provider bars do (the admin's form included), and stored
closes that cannot be a price (10^17 or more, or not a number: before bars were bounded, a
provider's 1e300 or Infinity could be stored) are removed, since no page could value them. Each
asset that loses a row gets a new price version with an empty write log, so every cached result
that read it recomputes in full; its first and last price dates are read again."""


import django.core.validators
import portfolia.validators
from django.db import migrations, models
from django.db.models import Max, Min, Q

IMPOSSIBLE = 1e17  # portfolia.validators.PRICE_LIMIT as of this migration


def drop_impossible_closes(apps, schema_editor):
    Price = apps.get_model("market", "Price")
    Asset = apps.get_model("market", "Asset")
    # On PostgreSQL NaN and Infinity sort above every number, so `gte` finds them too.
    bad = Price.objects.filter(Q(close__gte=IMPOSSIBLE))
    asset_ids = set(bad.values_list("asset_id", flat=True))
    if not asset_ids:
        return
    bad.delete()
    for asset in Asset.objects.filter(pk__in=asset_ids):
        span = Price.objects.filter(asset=asset).aggregate(first=Min("date"), last=Max("date"))
        asset.price_version += 1
        asset.price_changes = []
        asset.first_price_date, asset.last_price_date = span["first"], span["last"]
        asset.save(
            update_fields=["price_version", "price_changes", "first_price_date", "last_price_date"]
        )


class Migration(migrations.Migration):

    dependencies = [
        ('market', '0009_sweep_schedule'),
    ]

    operations = [
        migrations.RunPython(drop_impossible_closes, migrations.RunPython.noop),
        migrations.AlterField(
            model_name='price',
            name='close',
            field=models.FloatField(validators=[portfolia.validators.validate_price_number]),
        ),
        migrations.AlterField(
            model_name='price',
            name='date',
            field=models.DateField(validators=[portfolia.validators.validate_price_date]),
        ),
        migrations.AlterField(
            model_name='price',
            name='high',
            field=models.FloatField(blank=True, null=True, validators=[portfolia.validators.validate_price_number]),
        ),
        migrations.AlterField(
            model_name='price',
            name='low',
            field=models.FloatField(blank=True, null=True, validators=[portfolia.validators.validate_price_number]),
        ),
        migrations.AlterField(
            model_name='price',
            name='open',
            field=models.FloatField(blank=True, null=True, validators=[portfolia.validators.validate_price_number]),
        ),
        migrations.AlterField(
            model_name='price',
            name='volume',
            field=models.BigIntegerField(blank=True, null=True, validators=[django.core.validators.MinValueValidator(0)]),
        ),
    ]
