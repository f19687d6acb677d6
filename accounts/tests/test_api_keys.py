"""Personal API keys: made once, hashed at rest, accepted as ``Authorization: Api-Key …`` on the
API, scoped, expiring, revocable, their use recorded at most once a minute, bad keys locked out."""

import datetime

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from accounts import api_keys
from accounts.models import ApiKey
from accounts.services import api_key_create, api_key_revoke
from accounts.tests.factories import UserFactory
from portfolios.models import Portfolio
from portfolios.tests.factories import PortfolioFactory

pytestmark = pytest.mark.django_db

KEYS = "/api/v1/api-keys/"
PORTFOLIOS = "/api/v1/portfolios/"


def key_client(key: str, **extra) -> APIClient:
    client = APIClient(**extra)
    client.credentials(HTTP_AUTHORIZATION=f"Api-Key {key}")
    return client


def test_a_key_made_by_the_api_is_answered_once_and_opens_the_portfolio_routes(auth_client, user):
    PortfolioFactory(owner=user, name="Mine")
    PortfolioFactory(name="Someone else's")
    response = auth_client.post(KEYS, {"name": "export script", "scope": "write"})
    assert response.status_code == 201, response.content
    key = response.json()["key"]
    assert key.startswith("pfk_")

    listed = auth_client.get(KEYS).json()
    assert listed["count"] == 1
    assert "key" not in listed["results"][0]
    assert key not in str(listed)
    assert "key" not in auth_client.get(f"{KEYS}{response.json()['id']}/").json()

    body = key_client(key).get(PORTFOLIOS).json()
    assert [item["name"] for item in body["results"]] == ["Mine"]
    created = key_client(key).post(PORTFOLIOS, {"name": "By script"})
    assert created.status_code == 201, created.content
    assert Portfolio.objects.get(name="By script").owner == user


def test_the_database_holds_only_the_keys_hash():
    row, key = api_key_create(user=UserFactory(), name="k")
    stored = ApiKey.objects.values().get(pk=row.pk)
    assert key not in {str(value) for value in stored.values()}
    assert not any(key[4:] in str(value) for value in stored.values())  # nor its secret part
    assert stored["hashed_key"] == api_keys.key_hash(key)
    assert len(stored["hashed_key"]) == 64  # SHA-256, hex


@pytest.mark.parametrize(
    "header",
    [
        "Api-Key pfk_000000000000_not-a-real-key",
        "Api-Key nonsense",
        "Api-Key " + "x" * 5000,
        "Api-Key",
        "Api-Key a b",
    ],
)
def test_a_wrong_key_is_401_in_the_error_shape(header):
    UserFactory()
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=header)
    response = client.get(PORTFOLIOS)
    assert response.status_code == 401
    assert response.json()["error"]["code"] in {"api_key_invalid", "authentication_failed"}


def test_a_key_with_the_right_prefix_but_another_secret_is_401():
    _, key = api_key_create(user=UserFactory(), name="k")
    forged = key[:-4] + ("AAAA" if not key.endswith("AAAA") else "BBBB")
    assert key_client(forged).get(PORTFOLIOS).status_code == 401


def test_an_expired_key_is_401():
    row, key = api_key_create(
        user=UserFactory(), name="k", expires_at=timezone.now() + datetime.timedelta(hours=1)
    )
    assert key_client(key).get(PORTFOLIOS).status_code == 200
    ApiKey.objects.filter(pk=row.pk).update(
        expires_at=timezone.now() - datetime.timedelta(seconds=1)
    )
    assert key_client(key).get(PORTFOLIOS).status_code == 401


def test_a_revoked_key_is_401_and_stays_listed_as_revoked(auth_client, user):
    response = auth_client.post(KEYS, {"name": "k"})
    key, key_id = response.json()["key"], response.json()["id"]
    assert key_client(key).get(PORTFOLIOS).status_code == 200
    assert auth_client.delete(f"{KEYS}{key_id}/").status_code == 204
    assert key_client(key).get(PORTFOLIOS).status_code == 401
    assert auth_client.get(KEYS).json()["results"][0]["revoked"] is True
    assert auth_client.delete(f"{KEYS}{key_id}/").status_code == 204  # again: a no-op


def test_a_key_of_an_inactive_user_is_401():
    user = UserFactory()
    _, key = api_key_create(user=user, name="k")
    user.is_active = False
    user.save()
    assert key_client(key).get(PORTFOLIOS).status_code == 401


def test_a_read_only_key_reads_but_every_write_is_403():
    user = UserFactory()
    portfolio = PortfolioFactory(owner=user, name="Kept")
    _, key = api_key_create(user=user, name="k", scope="read")
    client = key_client(key)
    assert client.get(PORTFOLIOS).status_code == 200
    response = client.post(PORTFOLIOS, {"name": "New"})
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "api_key_read_only"
    assert client.delete(f"{PORTFOLIOS}{portfolio.public_id}/").status_code == 403
    assert client.patch(f"{PORTFOLIOS}{portfolio.public_id}/", {"name": "x"}).status_code == 403
    assert list(Portfolio.objects.values_list("name", flat=True)) == ["Kept"]


def test_another_users_key_is_404_and_stays_usable(auth_client):
    row, key = api_key_create(user=UserFactory(), name="theirs")
    assert auth_client.get(f"{KEYS}{row.public_id}/").status_code == 404
    assert auth_client.delete(f"{KEYS}{row.public_id}/").status_code == 404
    assert auth_client.delete(f"{KEYS}99999999999999999999999/").status_code == 404
    assert key_client(key).get(PORTFOLIOS).status_code == 200


def test_keys_cannot_manage_keys():
    _, key = api_key_create(user=UserFactory(), name="k", scope="write")
    assert key_client(key).post(KEYS, {"name": "minted"}).status_code == 401
    assert ApiKey.objects.count() == 1


def test_last_use_is_recorded_with_the_address_at_most_once_a_minute(django_assert_num_queries):
    row, key = api_key_create(user=UserFactory(), name="k")
    assert row.last_used_at is None
    client = key_client(key, REMOTE_ADDR="203.0.113.7")
    client.get("/api/v1/me/")
    row.refresh_from_db()
    first = row.last_used_at
    assert first is not None and row.last_used_ip == "203.0.113.7"

    # Within the minute, from the same address: no write at all (one query: the key's row).
    with django_assert_num_queries(1):
        assert client.get("/api/v1/me/").status_code == 200
    row.refresh_from_db()
    assert row.last_used_at == first

    # A minute later it is written again.
    ApiKey.objects.filter(pk=row.pk).update(last_used_at=first - datetime.timedelta(seconds=61))
    client.get("/api/v1/me/")
    row.refresh_from_db()
    assert row.last_used_at > first - datetime.timedelta(seconds=61)


@pytest.mark.parametrize(
    ("forwarded", "stored"),
    [
        ("198.51.100.4", "198.51.100.4"),
        ("fe80::1%eth0", "fe80::1"),
        ("198.51.100.4, 10.0.0.1", "203.0.113.9"),  # a chain is no one address: the socket's
        ("not-an-address", "203.0.113.9"),
    ],
)
def test_the_last_use_address_is_one_valid_address(forwarded, stored):
    row, key = api_key_create(user=UserFactory(), name="k")
    client = key_client(key, REMOTE_ADDR="203.0.113.9", HTTP_X_FORWARDED_FOR=forwarded)
    assert client.get("/api/v1/me/").status_code == 200
    row.refresh_from_db()
    assert row.last_used_ip == stored


def test_bad_keys_lock_the_address_out_after_the_address_limit(settings):
    settings.CREDENTIAL_THROTTLE = {**settings.CREDENTIAL_THROTTLE, "IP_ATTEMPTS": 3}
    _, key = api_key_create(user=UserFactory(), name="k")
    attacker = key_client("pfk_000000000000_guess", REMOTE_ADDR="198.51.100.1")
    # Attempts 1 and 2 are 401; the third reaches the limit of 3 and locks: 429.
    assert [attacker.get(PORTFOLIOS).status_code for _ in range(3)] == [401, 401, 429]
    # Locked: even the right key from that address is refused before it is looked up.
    response = key_client(key, REMOTE_ADDR="198.51.100.1").get(PORTFOLIOS)
    assert response.status_code == 429
    assert int(response["Retry-After"]) > 0
    # Another address is not locked.
    assert key_client(key, REMOTE_ADDR="198.51.100.2").get(PORTFOLIOS).status_code == 200


def test_create_refuses_bad_input(auth_client):
    in_the_past = (timezone.now() - datetime.timedelta(days=1)).isoformat()
    too_far = (timezone.now() + datetime.timedelta(days=3651)).isoformat()
    for body in (
        {"name": "bad\x00name"},
        {"name": ""},
        {"name": "x" * 101},
        {"name": "k", "scope": "admin"},
        {"name": "k", "expires_at": in_the_past},
        {"name": "k", "expires_at": too_far},
        {"name": "k", "expires_at": "99999-01-01T00:00:00Z"},
        {"name": "k", "key": "pfk_chosen"},
    ):
        response = auth_client.post(KEYS, body, format="json")
        assert response.status_code == 400, (body, response.content)
    assert ApiKey.objects.count() == 0


def test_revoke_service_keeps_the_first_revocation_time():
    row, _ = api_key_create(user=UserFactory(), name="k")
    first = api_key_revoke(api_key=row).revoked_at
    assert api_key_revoke(api_key=row).revoked_at == first


def test_the_schema_declares_the_api_key_scheme(auth_client):
    schema = auth_client.get("/api/schema/", {"format": "json"}).json()
    scheme = schema["components"]["securitySchemes"]["apiKeyAuth"]
    assert scheme == {**scheme, "type": "apiKey", "in": "header", "name": "Authorization"}
    portfolio_list = schema["paths"]["/api/v1/portfolios/"]["get"]
    assert {"apiKeyAuth": []} in portfolio_list["security"]
    created = schema["components"]["schemas"]["ApiKeyCreated"]
    assert "key" in created["properties"]
    assert "key" not in schema["components"]["schemas"]["ApiKey"]["properties"]


def test_the_page_shows_a_new_key_once_lists_and_revokes(client):
    user = UserFactory()
    client.force_login(user)
    response = client.post("/accounts/api-keys/", {"name": "laptop", "scope": "read"})
    assert response.status_code == 200
    row = ApiKey.objects.get(user=user)
    key = response.context["created"]["key"]
    assert key.startswith(f"pfk_{row.prefix}_")
    assert key in response.content.decode()

    listing = client.get("/accounts/api-keys/").content.decode()
    assert "laptop" in listing and key not in listing and f"pfk_{row.prefix}" in listing

    assert client.post(f"/accounts/api-keys/{row.public_id}/revoke/").status_code == 302
    row.refresh_from_db()
    assert row.revoked_at is not None
    assert key_client(key).get(PORTFOLIOS).status_code == 401


def test_the_page_refuses_bad_input_and_another_users_key(client):
    user = UserFactory()
    theirs, _ = api_key_create(user=UserFactory(), name="theirs")
    client.force_login(user)
    for data in (
        {"name": "a\x00b", "scope": "read"},
        {"name": "k", "scope": "read", "expires_on": "9999-12-31"},
        {"name": "k", "scope": "read", "expires_on": "2000-01-01"},
        {"name": "k", "scope": "root"},
    ):
        response = client.post("/accounts/api-keys/", data)
        assert response.status_code == 200 and response.context["created"] is None, data
    assert not ApiKey.objects.filter(user=user).exists()
    assert client.post(f"/accounts/api-keys/{theirs.public_id}/revoke/").status_code == 404
    assert client.get(f"/accounts/api-keys/{theirs.public_id}/revoke/").status_code == 405


def test_the_request_line_names_the_keys_user(caplog):
    user = UserFactory()
    _, key = api_key_create(user=user, name="k")
    caplog.set_level("INFO", logger="portfolia.request")
    key_client(key).get(PORTFOLIOS)
    [line] = [record for record in caplog.records if record.name == "portfolia.request"]
    assert (line.user_id, line.status) == (user.pk, 200)
