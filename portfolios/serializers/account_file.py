"""The account file's schema for the OpenAPI document (`GET /me/export/` answers it, `POST
/me/import/` takes it), and the import's answer. The file is built by
`selectors.account_export` and checked by `services.account_import` (with every problem placed
by its path in the file); these serializers describe it, they do not read it."""

from rest_framework import serializers

DECIMAL = {"help_text": "An exact decimal as a string.", "allow_null": True}


class PriceRowSerializer(serializers.Serializer):
    date = serializers.DateField()
    open = serializers.FloatField(allow_null=True)
    high = serializers.FloatField(allow_null=True)
    low = serializers.FloatField(allow_null=True)
    close = serializers.FloatField()
    volume = serializers.IntegerField(allow_null=True)


class CatalogueAssetSerializer(serializers.Serializer):
    provider = serializers.CharField()
    symbol = serializers.CharField()
    name = serializers.CharField()
    asset_class = serializers.CharField()
    currency = serializers.CharField()
    exchange = serializers.CharField(allow_blank=True)


class ManualAssetFileSerializer(serializers.Serializer):
    symbol = serializers.CharField()
    name = serializers.CharField()
    asset_class = serializers.CharField()
    currency = serializers.CharField()
    exchange = serializers.CharField(allow_blank=True)
    prices = PriceRowSerializer(many=True)


class TransactionFileSerializer(serializers.Serializer):
    kind = serializers.CharField()
    date = serializers.DateField()
    asset = serializers.CharField(
        allow_null=True, help_text='An asset reference, "provider:SYMBOL" ("manual:MINE").'
    )
    quantity = serializers.CharField(**DECIMAL)
    price = serializers.CharField(**DECIMAL)
    amount = serializers.CharField(**DECIMAL)
    ratio = serializers.CharField(**DECIMAL)
    fee = serializers.CharField()
    currency = serializers.CharField()
    fx_rate = serializers.CharField(**DECIMAL)
    note = serializers.CharField(allow_blank=True)
    external_id = serializers.CharField(allow_blank=True)


class TargetFileSerializer(serializers.Serializer):
    asset = serializers.CharField(allow_null=True)
    asset_class = serializers.CharField(allow_blank=True)
    cash = serializers.BooleanField()
    weight = serializers.CharField(help_text="Percent points, exact.")
    band = serializers.CharField(**DECIMAL)


class PortfolioFileSerializer(serializers.Serializer):
    name = serializers.CharField()
    description = serializers.CharField(allow_blank=True)
    base_currency = serializers.CharField()
    cost_basis_method = serializers.CharField()
    benchmark = serializers.CharField(allow_null=True)
    records_cash = serializers.BooleanField()
    cash_per_currency = serializers.BooleanField()
    transactions = TransactionFileSerializer(many=True, help_text="In entry order.")
    targets = TargetFileSerializer(many=True)


class InstrumentSymbolFileSerializer(serializers.Serializer):
    identifier = serializers.CharField()
    symbol = serializers.CharField()


class AccountFileSerializer(serializers.Serializer):
    format = serializers.CharField(help_text='"portfolia-account".')
    version = serializers.IntegerField(help_text="1.")
    exported_at = serializers.DateTimeField()
    catalogue_assets = CatalogueAssetSerializer(many=True)
    manual_assets = ManualAssetFileSerializer(many=True)
    portfolios = PortfolioFileSerializer(many=True)
    instrument_symbols = InstrumentSymbolFileSerializer(many=True)


class AccountImportSummarySerializer(serializers.Serializer):
    portfolios = serializers.IntegerField()
    transactions = serializers.IntegerField()
    targets = serializers.IntegerField()
    manual_assets = serializers.IntegerField()
    prices = serializers.IntegerField()
    instrument_symbols = serializers.IntegerField()
