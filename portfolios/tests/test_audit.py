"""The audit log: every write to portfolios, transactions, targets and API keys is one entry
with its door (page, API, import, admin, task), its actor and its before/after; entries outlive
what they name; each user sees only the entries about their own data (page and API)."""

import base64
import datetime as dt
import io
from decimal import Decimal

import pytest
from celery import shared_task
from django.urls import reverse

from accounts.models import AuditEntry, User
from accounts.tests.factories import UserFactory
from portfolios import services
from portfolios.importers import COLUMNS
from portfolios.models import Portfolio, Transaction
from portfolios.tests.factories import AssetFactory, PortfolioFactory, TransactionFactory

pytestmark = pytest.mark.django_db

AUDIT = "/api/v1/audit/"


@pytest.fixture
def portfolio(user):
    return PortfolioFactory(owner=user, name="Old")


@pytest.fixture
def logged_in(client, user):
    client.force_login(user)
    return client


@pytest.fixture
def aapl():
    return AssetFactory(symbol="AAPL", name="Apple Inc.")


def last(action: str, object_type: str) -> AuditEntry:
    return AuditEntry.objects.filter(action=action, object_type=object_type).latest("id")


def test_a_transaction_added_on_the_page_is_an_entry_from_the_page_door(
    logged_in, user, portfolio, aapl
):
    form = {"kind": "buy", "date": "2024-01-02", "symbol": "AAPL", "quantity": "10"}
    response = logged_in.post(
        reverse("transaction-new", args=[portfolio.public_id]), {**form, "price": "100.50"}
    )
    assert response.status_code == 302
    entry = last("create", "transaction")
    txn = Transaction.objects.get()
    assert (entry.door, entry.actor_user_id, entry.actor_email) == ("page", user.pk, user.email)
    assert entry.owner_user_id == user.pk
    assert entry.object_id == str(txn.public_id)
    assert entry.before is None
    # Decimals as strings, the date ISO 8601, the asset as its text.
    assert entry.after["quantity"] == "10"
    assert entry.after["price"] == "100.5"
    assert entry.after["date"] == "2024-01-02"
    assert entry.after["portfolio"] == str(portfolio.public_id)
    assert entry.request_id  # the request's id, as in its log line


def test_a_portfolio_renamed_over_the_api_keeps_only_the_changed_field_before_and_after(
    auth_client, user, portfolio
):
    response = auth_client.patch(f"/api/v1/portfolios/{portfolio.public_id}/", {"name": "New"})
    assert response.status_code == 200
    entry = last("update", "portfolio")
    assert entry.door == "api"
    assert entry.actor_user_id == user.pk
    assert (entry.before, entry.after) == ({"name": "Old"}, {"name": "New"})


def test_a_transaction_edited_over_the_api_records_the_old_and_new_quantity(
    auth_client, portfolio, aapl
):
    txn = services.transaction_create(
        portfolio=portfolio,
        kind="buy",
        date=dt.date(2024, 1, 2),
        asset=aapl,
        quantity=Decimal(10),
        price=Decimal(100),
    )
    url = f"/api/v1/portfolios/{portfolio.public_id}/transactions/{txn.public_id}/"
    assert auth_client.patch(url, {"quantity": "12.5"}, format="json").status_code == 200
    entry = last("update", "transaction")
    assert entry.door == "api"
    assert (entry.before, entry.after) == (
        {"quantity": "10"},
        {"portfolio": str(portfolio.public_id), "quantity": "12.5"},
    )
    assert auth_client.delete(url).status_code == 204
    deleted = last("delete", "transaction")
    assert deleted.before["quantity"] == "12.5" and deleted.after is None


def test_an_import_is_one_entry_from_the_import_door_with_its_counts(
    logged_in, user, portfolio, aapl
):
    lines = ["2024-01-02,buy,AAPL,10,100,,,,,,,", "2024-01-03,buy,AAPL,5,101,,,,,,,"]
    data = ("\n".join([",".join(COLUMNS), *lines]) + "\n").encode()
    url = reverse("transaction-import", args=[portfolio.public_id])
    response = logged_in.post(url, {"csv_file": base64.b64encode(data).decode()})
    assert response.status_code == 302
    assert Transaction.objects.count() == 2
    entries = AuditEntry.objects.filter(object_type="transactions")
    assert entries.count() == 1  # one per import, not one per row
    entry = entries.get()
    assert (entry.door, entry.action, entry.actor_user_id) == ("import", "import", user.pk)
    assert entry.after == {
        "created": 2,
        "duplicates": 0,
        "skipped": 0,
        "via": "page",
        "kinds": {"buy": 2},
        "first_date": "2024-01-02",
        "last_date": "2024-01-03",
    }


def test_a_bulk_load_of_three_rows_is_one_entry(portfolio, aapl):
    rows = [
        Transaction(kind="buy", date=dt.date(2024, 1, day), asset=aapl, quantity=1, price=1)
        for day in (2, 3, 4)
    ]
    services.transactions_load(portfolio=portfolio, transactions=rows)
    entry = AuditEntry.objects.get(object_type="transactions")
    assert (entry.action, entry.door, entry.after["created"]) == ("load", "system", 3)


def test_a_staff_rename_in_the_admin_is_an_entry_from_the_admin_door(client, portfolio):
    staff = UserFactory(is_staff=True, is_superuser=True)
    client.force_login(staff)
    url = reverse("admin:portfolios_portfolio_change", args=[portfolio.pk])
    management = {
        f"transactions-{name}": "0"
        for name in ("TOTAL_FORMS", "INITIAL_FORMS", "MIN_NUM_FORMS", "MAX_NUM_FORMS")
    }
    body = {"name": "Renamed", "description": "", "base_currency": "USD"}
    response = client.post(url, {**body, "cost_basis_method": "fifo", **management})
    assert response.status_code == 302
    entry = last("update", "portfolio")
    assert entry.door == "admin"
    assert (entry.actor_user_id, entry.owner_user_id) == (staff.pk, portfolio.owner_id)
    assert (entry.before, entry.after) == ({"name": "Old"}, {"name": "Renamed"})


@shared_task(name="portfolios.tests.rename_for_audit")
def rename_for_audit(portfolio_id: int) -> None:
    services.portfolio_update(
        portfolio=Portfolio.objects.get(pk=portfolio_id), data={"name": "By task"}
    )


def test_a_write_made_by_a_celery_task_comes_through_the_task_door(portfolio):
    rename_for_audit.delay(portfolio.pk)  # eager in tests, through Celery's tracer and signals
    entry = last("update", "portfolio")
    assert (entry.door, entry.actor_user_id, entry.after) == ("task", None, {"name": "By task"})
    services.portfolio_update(portfolio=portfolio, data={"name": "After"})
    assert last("update", "portfolio").door == "system"  # the task's door ended with it


def test_targets_set_over_the_api_record_the_old_and_new_targets(auth_client, portfolio, aapl):
    msft = AssetFactory(symbol="MSFT", name="Microsoft")
    url = f"/api/v1/portfolios/{portfolio.public_id}/targets/"
    body = [
        {"asset": str(aapl.public_id), "weight": "60"},
        {"asset": str(msft.public_id), "weight": "40"},
    ]
    assert auth_client.put(url, body, format="json").status_code == 200, "first PUT"
    entry = last("set", "targets")
    assert entry.door == "api"
    assert entry.before == {"targets": []}
    weights = [(t["target"], t["weight"]) for t in entry.after["targets"]]
    assert weights == [(str(aapl), "60"), (str(msft), "40")]


def test_an_api_key_made_over_the_api_and_revoked_on_the_page_are_two_entries(
    auth_client, logged_in, user
):
    response = auth_client.post("/api/v1/api-keys/", {"name": "Backup script"}, format="json")
    assert response.status_code == 201
    made = last("create", "apikey")
    assert (made.door, made.owner_user_id) == ("api", user.pk)
    assert made.after["name"] == "Backup script" and made.after["scope"] == "read"
    key_id = response.json()["id"]
    assert logged_in.post(reverse("api-key-revoke", args=[key_id])).status_code == 302
    revoked = last("revoke", "apikey")
    assert revoked.door == "page"
    assert revoked.before == {"revoked_at": None}
    assert revoked.after["revoked_at"] is not None
    assert response.json()["key"] not in str(made.after)  # the key itself is never logged


def test_a_deleted_portfolio_and_its_deleted_owner_keep_their_entries(logged_in, user, portfolio):
    TransactionFactory(portfolio=portfolio)
    response = logged_in.post(reverse("portfolio-delete", args=[portfolio.public_id]))
    assert response.status_code == 302
    assert not Portfolio.objects.exists()
    entry = last("delete", "portfolio")
    assert entry.object_id == str(portfolio.public_id) and entry.object_repr == "Old"
    assert entry.before["name"] == "Old" and entry.before["transactions"] == 1
    user_id = user.pk
    User.objects.filter(pk=user_id).delete()
    # Nothing cascades: the transaction's load and the deletion both stay.
    actions = set(AuditEntry.objects.filter(owner_user_id=user_id).values_list("action", flat=True))
    assert actions == {"load", "delete"}


def test_each_user_sees_only_the_entries_about_their_own_data(auth_client, logged_in, user):
    mine = PortfolioFactory(owner=user, name="Mine")
    services.portfolio_update(portfolio=mine, data={"name": "Mine too"})
    theirs = PortfolioFactory(name="Theirs")
    services.portfolio_update(portfolio=theirs, data={"name": "Theirs too"})
    body = auth_client.get(AUDIT).json()
    assert body["count"] == 1
    assert body["results"][0]["object_repr"] == "Mine too"
    assert body["results"][0]["before"] == {"name": "Mine"}
    page = logged_in.get(reverse("activity")).content.decode()
    assert "Mine too" in page and "Theirs" not in page


def test_the_audit_api_refuses_anonymous_callers_and_unknown_parameters(api_client, auth_client):
    assert api_client.get(AUDIT).status_code == 401
    assert auth_client.get(AUDIT, {"owner": "1"}).status_code == 400
    assert auth_client.get(AUDIT, {"page": "\x00"}).status_code == 404


def test_the_activity_page_pages_fifty_entries_at_a_time(logged_in, user, portfolio):
    for number in range(55):
        services.portfolio_update(portfolio=portfolio, data={"description": f"d{number}"})
    first = logged_in.get(reverse("activity")).content.decode()
    assert "Page 1 of 2" in first and "d54" in first and "d4</" not in first
    second = logged_in.get(reverse("activity"), {"page": "2"}).content.decode()
    assert "d4" in second
    assert logged_in.get(reverse("activity"), {"page": "\x00"}).status_code == 200
    assert logged_in.post(reverse("activity")).status_code == 405


def test_the_staff_admin_lists_entries_read_only(client, portfolio):
    services.portfolio_update(portfolio=portfolio, data={"name": "Seen"})
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    entry = last("update", "portfolio")
    assert b"Seen" in client.get(reverse("admin:accounts_auditentry_changelist")).content
    change = reverse("admin:accounts_auditentry_change", args=[entry.pk])
    assert client.get(change).status_code == 200
    client.post(change, {"action": "forged"})
    assert AuditEntry.objects.get(pk=entry.pk).action == "update"
    delete = reverse("admin:accounts_auditentry_delete", args=[entry.pk])
    assert client.post(delete, {"post": "yes"}).status_code == 403


def test_a_portfolio_made_on_the_page_records_every_setting_after(logged_in, user):
    body = {"name": "Main", "base_currency": "EUR", "cost_basis_method": "average"}
    assert logged_in.post(reverse("portfolio-new"), body).status_code == 302
    entry = last("create", "portfolio")
    assert (entry.door, entry.owner_user_id, entry.before) == ("page", user.pk, None)
    assert entry.after == {
        "name": "Main",
        "description": "",
        "base_currency": "EUR",
        "cost_basis_method": "average",
        "benchmark": None,
        "records_cash": False,
        "cash_per_currency": False,
    }


def test_switching_cash_records_on_is_an_update_entry(portfolio):
    services.portfolio_cash_records_change(portfolio=portfolio, records_cash=True)
    entry = last("update", "portfolio")
    assert entry.before == {"records_cash": False, "cash_per_currency": False}
    assert entry.after == {"records_cash": True, "cash_per_currency": False}


def test_recording_a_rebalance_over_the_api_is_an_entry_with_its_plan(auth_client, portfolio):
    from portfolios.tests.test_targets_plan import held

    a, b = held(portfolio, "AAA", 10, 60), held(portfolio, "BBB", 10, 40, asset_class="bond")
    url = f"/api/v1/portfolios/{portfolio.public_id}/"
    targets = [
        {"asset": str(a.public_id), "weight": "50"},
        {"asset": str(b.public_id), "weight": "50"},
    ]
    assert auth_client.put(url + "targets/", targets, format="json").status_code == 200
    query = {"cash": "105", "mode": "full", "whole_units": "true", "min_trade": "0"}
    plan = auth_client.get(url + "rebalance/", query).json()
    body = {**query, "fingerprint": plan["fingerprint"]}
    assert auth_client.post(url + "rebalance/", body, format="json").status_code == 201
    entry = last("rebalance", "rebalance")
    # The plan of test_targets_api: sell 1 AAA, buy 4 BBB, with 105 of new cash (no deposit
    # row: this portfolio does not record cash).
    assert entry.door == "api"
    assert entry.after == {
        "fingerprint": plan["fingerprint"],
        "cash": "105",
        "mode": "full",
        "trades": 2,
        "deposit": "0",
    }
    load = last("load", "transactions")
    assert (load.after["created"], load.after["kinds"]) == (2, {"sell": 1, "buy": 1})


def test_an_import_sent_over_the_api_says_so_and_a_dry_run_writes_no_entry(
    auth_client, portfolio, aapl
):
    def upload():
        data = (",".join(COLUMNS) + "\n2024-01-02,buy,AAPL,10,100,,,,,,,\n").encode()
        file = io.BytesIO(data)
        file.name = "transactions.csv"
        return file

    url = f"/api/v1/portfolios/{portfolio.public_id}/transactions/import/"
    body = {"file": upload(), "dry_run": "true"}
    assert auth_client.post(url, body, format="multipart").status_code == 200
    assert not AuditEntry.objects.filter(object_type="transactions").exists()
    body = {"file": upload(), "dry_run": "false"}
    assert auth_client.post(url, body, format="multipart").status_code == 201
    entry = last("import", "transactions")
    assert (entry.door, entry.after["via"], entry.after["created"]) == ("import", "api", 1)
