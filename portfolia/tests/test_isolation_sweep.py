"""The whole URL tree (pages and API, from the resolver, so a route added later is swept without
being listed) against three visitors: a second user gets 404 for every URL naming one of the
first user's objects (every object kind: portfolio, transaction, manual asset, simulation run,
API key, fetch job), an anonymous visitor gets 401 (API) or the login page, and a user who is
not staff gets 403 on every staff page. ``portfolios/tests/test_isolation.py`` holds the walk
and the owner's side for portfolios."""

import re

import pytest
from django.test import Client
from django.urls import URLPattern
from rest_framework import permissions
from rest_framework.test import APIClient

from market.tests.factories import FetchJobFactory
from portfolios.tests.test_isolation import CONVERTER, METHODS, walk

pytestmark = pytest.mark.django_db

# Pages and endpoints for anyone: the credential doors, the schema and its docs, health checks,
# metrics (open under DEBUG, token-guarded in production: test_metrics) and the favicon.
PUBLIC = re.compile(
    r"^(accounts/(login|logout|signup|password_reset|reset|email/verify/<str:token>)"
    r"|api/v1/auth/|api/schema/|api/docs/|health/|metrics$|favicon\.ico$|static/)"
)


def _routes():
    """Every route but Django's admin (its own login, by database id: checked apart below)."""
    from django.urls import get_resolver

    return [(r, p) for r, p in walk(get_resolver().url_patterns) if not r.startswith("admin/")]


def _view(pattern: URLPattern):
    callback = pattern.callback
    return getattr(callback, "cls", getattr(callback, "view_class", callback))


def _is_staff_only(pattern: URLPattern) -> bool:
    view = _view(pattern)
    if getattr(pattern.callback, "staff_only", False):
        return True
    return permissions.IsAdminUser in getattr(view, "permission_classes", [])


def _fill(route: str, world: dict) -> str:
    """The route with the world's objects in its converters (the right kind for the route)."""
    values = {
        "transaction_id": world["transaction"].public_id,
        "run_id": world["run"].public_id,
        "key_id": world["api_key"].public_id,
        "token": "not-a-token",
        "user_id": world["portfolio"].owner_id,
        "asset_id": world["asset"].public_id,  # the holding page: an asset the portfolio holds
        "job_id": world["import_job"].public_id,
        "mapping_id": world["mapping"].public_id,
    }
    if re.match(r"(api/v1/|support/)?portfolios/", route):
        values["public_id"] = world["portfolio"].public_id
    elif route.startswith("api/v1/jobs/"):  # a job of the manual asset (a catalogue asset's
        values["public_id"] = world["manual_job"].public_id  # jobs are everyone's, like it)
    else:  # assets (pages and API): the user's manual asset, visible to no one else
        values["public_id"] = world["manual"].public_id
    return "/" + CONVERTER.sub(lambda m: str(values[m["name"]]), route)


def _answers(client, path: str) -> dict[str, int]:
    return {method: getattr(client, method)(path).status_code for method in METHODS}


@pytest.fixture
def world(world):
    return {**world, "manual_job": FetchJobFactory(asset=world["manual"])}


def test_a_second_user_gets_404_for_every_url_naming_anothers_object(world, other_user):
    html, api = Client(), APIClient()
    html.force_login(other_user)
    api.force_authenticate(other_user)
    kinds = set()
    for route, pattern in _routes():
        names = {m["name"] for m in CONVERTER.finditer(route)} - {"token"}
        if not names or PUBLIC.match(route) or _is_staff_only(pattern):
            continue
        path = _fill(route, world)
        answers = _answers(api if path.startswith("/api/") else html, path)
        accepted = {status for status in answers.values() if status != 405}
        assert accepted == {404}, f"{path} answered {answers} to another user"
        kinds.add(route.split("/")[2 if route.startswith("api/") else 0])
    assert {"portfolios", "assets", "simulations", "api-keys", "jobs"} <= kinds


def test_an_anonymous_visitor_gets_401_or_the_login_page_everywhere_but_the_public_doors(world):
    html, api = Client(), APIClient()
    swept = 0
    for route, _pattern in _routes():
        if PUBLIC.match(route) or route == "api/v1/":
            continue
        path = _fill(route, world)
        client = api if path.startswith("/api/") else html
        for method in METHODS:
            response = getattr(client, method)(path)
            if response.status_code == 405:
                continue
            if path.startswith("/api/"):
                assert response.status_code == 401, f"{method} {path}: {response.status_code}"
            else:
                assert response.status_code == 302, f"{method} {path}: {response.status_code}"
                assert response["Location"].startswith("/accounts/login/"), path
            swept += 1
    assert swept > 60
    admin = html.get("/admin/")
    assert admin.status_code == 302 and admin["Location"].startswith("/admin/login/")


def test_a_user_who_is_not_staff_gets_403_on_every_staff_page(world, user):
    html, api = Client(), APIClient()
    html.force_login(user)
    api.force_authenticate(user)
    staff = [(route, p) for route, p in _routes() if _is_staff_only(p)]
    assert len(staff) >= 2  # the data status page and the diagnostics API at least
    for route, _pattern in staff:
        path = _fill(route, world)
        answers = _answers(api if path.startswith("/api/") else html, path)
        assert {s for s in answers.values() if s != 405} == {403}, f"{path}: {answers}"
    admin = html.get("/admin/")  # Django's admin: its own login page, never the site
    assert admin.status_code == 302 and admin["Location"].startswith("/admin/login/")
