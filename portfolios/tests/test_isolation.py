"""Every HTML and API URL that names a portfolio (or one of its transactions) answers 404 to
anyone but its owner, for every method it accepts.

The test walks the whole URL tree, so a URL added later is checked without being listed here.
Each URL taking a public id gets the first user's objects; a second user must get 404 (after
any 405 for a method the URL does not take), and the owner must not (so the 404 means
"not yours", not "broken").
"""

import re
import uuid

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from django.urls.resolvers import RoutePattern
from rest_framework.test import APIClient

from portfolios.models import ImportJob
from portfolios.tests.factories import AssetFactory, PortfolioFactory, TransactionFactory

pytestmark = pytest.mark.django_db

CONVERTER = re.compile(r"<(?:(?P<converter>\w+):)?(?P<name>\w+)>")
METHODS = ("get", "post", "put", "patch", "delete")
SUPPORT_VIEWS = "portfolios.views.support"


def walk(patterns, prefix=""):
    """(route, pattern) for every URL pattern, routes joined from their resolvers."""
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            if isinstance(pattern.pattern, RoutePattern):
                yield from walk(pattern.url_patterns, prefix + str(pattern.pattern))
            # Regex resolvers (the admin) name objects by database id, not public id: skipped.
        elif isinstance(pattern, URLPattern) and isinstance(pattern.pattern, RoutePattern):
            yield prefix + str(pattern.pattern), pattern


def view_module(pattern: URLPattern) -> str:
    callback = pattern.callback
    return getattr(callback, "cls", getattr(callback, "view_class", callback)).__module__


@pytest.fixture
def owned():
    portfolio = PortfolioFactory()
    txn = TransactionFactory(portfolio=portfolio, asset=AssetFactory(symbol="AAPL"))
    ImportJob.objects.create(owner=portfolio.owner, portfolio=portfolio, data=b"")
    return portfolio, txn


def urls_with_ids(portfolio, txn):
    values = {
        "public_id": str(portfolio.public_id),
        "transaction_id": str(txn.public_id),
        "asset_id": str(txn.asset.public_id),  # the holding page: an asset the portfolio holds
    }
    job = ImportJob.objects.filter(portfolio=portfolio).first()
    if job is not None:
        values["job_id"] = str(job.public_id)
    found = []
    for route, pattern in walk(get_resolver().url_patterns):
        names = [match["name"] for match in CONVERTER.finditer(route)]
        if not names or not {"public_id", "transaction_id"} & set(names):
            continue
        path = "/" + CONVERTER.sub(lambda m: values.get(m["name"], str(uuid.uuid4())), route)
        found.append((path, pattern))
    return found


def test_the_walk_finds_every_portfolio_url(owned):
    paths = {path for path, _pattern in urls_with_ids(*owned)}
    portfolio, txn = owned
    for expected in (
        f"/portfolios/{portfolio.public_id}/",
        f"/portfolios/{portfolio.public_id}/transactions/{txn.public_id}/edit/",
        f"/api/v1/portfolios/{portfolio.public_id}/holdings/",
        f"/api/v1/portfolios/{portfolio.public_id}/transactions/{txn.public_id}/",
    ):
        assert expected in paths
    assert len(paths) >= 19


def _answers(client, path: str) -> dict[str, int]:
    return {method: getattr(client, method)(path).status_code for method in METHODS}


def test_every_url_of_another_users_portfolio_answers_404(owned, other_user):
    portfolio, txn = owned
    html, api = Client(), APIClient()
    html.force_login(other_user)
    api.force_authenticate(other_user)
    checked = 0
    for path, pattern in urls_with_ids(portfolio, txn):
        if view_module(pattern) == SUPPORT_VIEWS:
            continue  # a role's pages, not an owner's: 403 without it (test_support.py)
        client = api if path.startswith("/api/") else html
        answers = _answers(client, path)
        accepted = {method: status for method, status in answers.items() if status != 405}
        assert accepted, f"{path} accepts no method at all"
        assert set(accepted.values()) == {404}, f"{path} answered {answers} to another user"
        checked += 1
    assert checked >= 19
    # Nothing of the owner's was touched by the attempts.
    txn.refresh_from_db()
    portfolio.refresh_from_db()


def test_the_owner_reaches_the_same_urls(owned):
    portfolio, txn = owned
    html, api = Client(), APIClient()
    html.force_login(portfolio.owner)
    api.force_authenticate(portfolio.owner)
    for path, pattern in urls_with_ids(portfolio, txn):
        if not view_module(pattern).startswith("portfolios."):
            continue  # another app's URL: its id is not a portfolio's
        client = api if path.startswith("/api/") else html
        status = client.get(path).status_code
        if status == 405:
            status = client.post(path, {}).status_code  # empty input: refused, nothing saved
        assert status != 404, path
