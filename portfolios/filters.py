"""Query-string filters for the transactions API: asset (public id), kind, start and end dates."""

import django_filters

from portfolia.validators import validate_query_date
from portfolios.models import Transaction, TransactionKind


class TransactionFilter(django_filters.FilterSet):
    asset = django_filters.UUIDFilter(field_name="asset__public_id", label="Asset id")
    kind = django_filters.ChoiceFilter(choices=TransactionKind.choices)
    start = django_filters.DateFilter(
        field_name="date",
        lookup_expr="gte",
        label="From (inclusive)",
        validators=[validate_query_date],
    )
    end = django_filters.DateFilter(
        field_name="date",
        lookup_expr="lte",
        label="To (inclusive)",
        validators=[validate_query_date],
    )

    class Meta:
        model = Transaction
        fields = ["asset", "kind", "start", "end"]
