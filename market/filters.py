"""Query-string filters of the market API lists: assets by class and provider, jobs by status,
kind and asset (public id)."""

import django_filters

from market.models import Asset, AssetClass, FetchJob, ProviderName


class AssetFilter(django_filters.FilterSet):
    asset_class = django_filters.ChoiceFilter(choices=AssetClass.choices)
    provider = django_filters.ChoiceFilter(choices=ProviderName.choices)

    class Meta:
        model = Asset
        fields = ["asset_class", "provider"]


class FetchJobFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=FetchJob.Status.choices)
    kind = django_filters.ChoiceFilter(choices=FetchJob.Kind.choices)
    asset = django_filters.UUIDFilter(field_name="asset__public_id", label="Asset id")

    class Meta:
        model = FetchJob
        fields = ["status", "kind", "asset"]
