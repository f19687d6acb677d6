"""Live prices on the asset page: a poll with the current version answers 204 in few queries;
a new close or a new quote answers the key figures fragment with the new price."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from market.providers.base import Bar
from market.services import price_upsert
from market.tests.factories import AssetFactory, PriceFactory, QuoteFactory

pytestmark = pytest.mark.django_db

HX = {"HTTP_HX_REQUEST": "true", "HTTP_HX_TARGET": "asset-data"}


@pytest.fixture
def asset():
    asset = AssetFactory(symbol="MSFT", provider="yahoo")
    PriceFactory(asset=asset, date=timezone.localdate() - dt.timedelta(days=1), close=410.25)
    asset.refresh_from_db()
    return asset


def url(asset) -> str:
    return reverse("asset-detail", args=[asset.public_id])


def version_in(html: str) -> str:
    return re.search(r'data-live-version="([0-9a-f]+)"', html).group(1)


def test_an_unchanged_asset_poll_answers_204_in_few_queries(client, user, asset):
    client.force_login(user)
    page = client.get(url(asset)).content.decode()
    assert 'hx-target="#asset-data"' in page and "every 60s, live-poll" in page
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url(asset), {"live": version_in(page), "range": "1Y"}, **HX)
    assert response.status_code == 204 and response.content == b""
    sql = [query["sql"] for query in captured.captured_queries]
    assert len(sql) <= 4, sql  # session, user, the asset, its quote
    assert not [s for s in sql if re.match(r"\s*(INSERT|UPDATE|DELETE)", s, re.I)]


def test_an_asset_poll_after_a_new_close_answers_the_new_last_close(client, user, asset):
    client.force_login(user)
    page = client.get(url(asset)).content.decode()
    assert "410.25" in page
    today = timezone.localdate()
    price_upsert(asset=asset, bars=[Bar(today, 1, 1, 1, 415.5, 0)])

    response = client.get(url(asset), {"live": version_in(page)}, **HX)

    html = response.content.decode()
    assert response.status_code == 200
    assert html.lstrip().startswith('<div id="asset-data"')
    assert "415.50" in html and version_in(html) != version_in(page)


def test_an_asset_poll_after_a_new_quote_answers_the_quote(client, user, asset):
    client.force_login(user)
    version = version_in(client.get(url(asset)).content.decode())
    QuoteFactory(asset=asset, price=420.75)

    response = client.get(url(asset), {"live": version}, **HX)

    assert response.status_code == 200
    assert "420.75" in response.content.decode() and "Latest quote" in response.content.decode()
