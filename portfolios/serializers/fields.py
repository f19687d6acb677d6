"""Fields the portfolio serializers share: exact and rounded decimals, an asset by its
public id (scoped to the user), and a negative cash balance."""

from decimal import Decimal

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from portfolia.money import MONEY_PLACES, plain, quantize
from portfolios.selectors import asset_queryset_for_user


class ExactDecimalField(serializers.DecimalField):
    """A stored decimal as its exact value without trailing zeros ("10", "185.5")."""

    def to_representation(self, value):
        if value is None:
            return None
        return plain(Decimal(value))


@extend_schema_field({"type": "string", "format": "decimal", "nullable": True})
class RoundedDecimalField(serializers.Field):
    """A computed decimal rounded for output (read-only)."""

    def __init__(self, places: int, **kwargs) -> None:
        kwargs.setdefault("read_only", True)
        super().__init__(**kwargs)
        self.places = places

    def to_representation(self, value):
        rounded = quantize(value, self.places)
        return None if rounded is None else str(rounded)


def money(**kwargs) -> RoundedDecimalField:
    return RoundedDecimalField(MONEY_PLACES, **kwargs)


class AssetRefField(serializers.SlugRelatedField):
    """An asset by its public id, among those the requesting user may use."""

    def __init__(self, **kwargs) -> None:
        super().__init__(slug_field="public_id", **kwargs)

    def get_queryset(self):
        request = self.context.get("request")
        return asset_queryset_for_user(request.user if request else None)

    def to_internal_value(self, data):
        try:
            return super().to_internal_value(data)
        except serializers.ValidationError:
            raise
        except Exception:  # a malformed UUID
            self.fail("does_not_exist", slug_name=self.slug_field, value=str(data))

    def to_representation(self, value):
        return str(value.public_id)


class NegativeCashSerializer(serializers.Serializer):
    """A cash balance that went below zero: the first day it closed negative and that
    balance (< 0) in its currency."""

    currency = serializers.CharField()
    first_date = serializers.DateField()
    amount = serializers.CharField(help_text="The balance at the close of first_date (< 0).")
