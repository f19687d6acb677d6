"""One asset in one portfolio (`selectors.holding_detail`): today's holding row, open lots,
sales, income payments and transactions. Amounts in the portfolio's base currency unless
named local; prices per unit in the asset's currency."""

from rest_framework import serializers

from portfolia.money import PRICE_PLACES
from portfolios.serializers.fields import ExactDecimalField, RoundedDecimalField, money
from portfolios.serializers.holdings import HoldingSerializer
from portfolios.serializers.transactions import TransactionSerializer


class OpenLotSerializer(serializers.Serializer):
    buy_transaction = serializers.UUIDField(source="buy_transaction_id", allow_null=True)
    date = serializers.DateField()
    quantity = ExactDecimalField(max_digits=None, decimal_places=None)
    cost_local = money(help_text="In the asset's currency, fees included.")
    cost = money(help_text="In the base currency, at the buy's FX, fees included.")
    unit_cost_local = RoundedDecimalField(PRICE_PLACES)


class SaleLotSerializer(serializers.Serializer):
    buy_transaction = serializers.UUIDField(source="buy_transaction_id", allow_null=True)
    buy_date = serializers.DateField()
    quantity = ExactDecimalField(max_digits=None, decimal_places=None)
    cost = money()
    holding_days = serializers.IntegerField()


class SaleSerializer(serializers.Serializer):
    transaction = serializers.UUIDField(source="transaction_id")
    date = serializers.DateField()
    quantity = ExactDecimalField(max_digits=None, decimal_places=None)
    price = ExactDecimalField(max_digits=None, decimal_places=None)
    proceeds = money()
    fee = money()
    cost = money()
    gain = money()
    lots = SaleLotSerializer(many=True)


class IncomePaymentSerializer(serializers.Serializer):
    transaction = serializers.UUIDField(source="transaction_id")
    date = serializers.DateField()
    kind = serializers.CharField()
    currency = serializers.CharField()
    amount = ExactDecimalField(max_digits=None, decimal_places=None)
    amount_base = money()
    fee_base = money()


class HoldingDetailSerializer(serializers.Serializer):
    asset = serializers.UUIDField(source="asset.public_id")
    symbol = serializers.CharField(source="asset.symbol")
    name = serializers.CharField(source="asset.name")
    currency = serializers.CharField(help_text="The portfolio's base currency.")
    cost_basis_method = serializers.CharField()
    quantity = ExactDecimalField(max_digits=None, decimal_places=None)
    holding = HoldingSerializer(
        source="row", allow_null=True, help_text="Today's valued holding; null once all sold."
    )
    unrealized_gain = money()
    realized_gain = money()
    dividends = money()
    interest = money()
    income = money()
    fees = money()
    total_gain = money(help_text="Unrealized + realized gain + income.")
    lots = OpenLotSerializer(many=True)
    sales = SaleSerializer(many=True)
    income_payments = IncomePaymentSerializer(source="income_rows", many=True)
    transactions = TransactionSerializer(many=True)
