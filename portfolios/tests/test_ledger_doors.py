"""Every door that changes a portfolio's transactions moves its ledger version (the key the
performance and holdings caches trust): the form, the API, the CSV import on the page and in the
API, the cash-records change, `seed_demo`, the benchmark's bulk loader and `transactions_load`.
The admin has no door (its transaction inline is read-only), and no code outside
`portfolios.services` writes transaction rows, so a new writer cannot forget the version."""

import base64
import datetime as dt
import io
import os
import re
from pathlib import Path

import pytest
from django.contrib import admin
from django.core.management import call_command
from django.urls import reverse

from accounts.models import User
from portfolios import services
from portfolios.admin import PortfolioAdmin, TransactionInline
from portfolios.importers import COLUMNS
from portfolios.models import Portfolio, Transaction
from portfolios.tests.factories import AssetFactory, PortfolioFactory, TransactionFactory

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]
HEADER = ",".join(COLUMNS)


def version(portfolio: Portfolio) -> int:
    return Portfolio.objects.values_list("ledger_version", flat=True).get(pk=portfolio.pk)


def summary_count(portfolio: Portfolio) -> int:
    return Portfolio.objects.values_list("ledger_summary", flat=True).get(pk=portfolio.pk)["count"]


@pytest.fixture
def portfolio(user):
    return PortfolioFactory(owner=user, base_currency="USD")


@pytest.fixture
def aapl():
    return AssetFactory(symbol="AAPL", currency="USD")


def test_the_form_moves_the_version_on_add_edit_and_delete(client, user, portfolio, aapl):
    client.force_login(user)
    args = [portfolio.public_id]
    form = {"kind": "buy", "date": "2024-01-02", "symbol": "AAPL", "quantity": "10", "price": "100"}
    client.post(reverse("transaction-new", args=args), form)
    assert version(portfolio) == 1
    txn = Transaction.objects.get()
    txn_args = [*args, txn.public_id]
    client.post(reverse("transaction-edit", args=txn_args), {**form, "quantity": "5"})
    assert Transaction.objects.get().quantity == 5
    assert version(portfolio) == 2
    client.post(reverse("transaction-delete", args=txn_args))
    assert not Transaction.objects.exists()
    assert version(portfolio) == 3


def test_the_api_moves_the_version_on_create_update_and_delete(auth_client, portfolio, aapl):
    base = f"/api/v1/portfolios/{portfolio.public_id}/transactions/"
    body = {"kind": "buy", "date": "2024-01-02", "asset": str(aapl.public_id), "quantity": "10"}
    created = auth_client.post(base, {**body, "price": "100"})
    assert created.status_code == 201, created.json()
    assert version(portfolio) == 1
    detail = f"{base}{created.json()['id']}/"
    assert auth_client.patch(detail, {"quantity": "4"}, format="json").status_code == 200
    assert version(portfolio) == 2
    assert auth_client.delete(detail).status_code == 204
    assert version(portfolio) == 3


def test_the_csv_import_moves_the_version_once_on_the_page_and_in_the_api(
    client, auth_client, user, portfolio, aapl
):
    rows = ["2024-01-02,buy,AAPL,10,100,,,,,,,", "2024-01-03,buy,AAPL,5,101,,,,,,,"]
    upload = io.BytesIO(("\n".join([HEADER, *rows]) + "\n").encode())
    upload.name = "transactions.csv"
    response = auth_client.post(
        f"/api/v1/portfolios/{portfolio.public_id}/transactions/import/",
        {"file": upload, "dry_run": "false"},
        format="multipart",
    )
    assert response.status_code == 201, response.json()
    assert version(portfolio) == 1

    client.force_login(user)
    data = ("\n".join([HEADER, "2024-02-01,buy,AAPL,1,102,,,,,,,"]) + "\n").encode()
    page = client.post(
        reverse("transaction-import", args=[portfolio.public_id]),
        {"csv_file": base64.b64encode(data).decode()},
    )
    assert page.status_code == 302
    assert version(portfolio) == 2
    assert summary_count(portfolio) == 3


def test_the_cash_records_change_moves_the_version(portfolio, aapl):
    TransactionFactory(portfolio=portfolio, asset=aapl)
    before = version(portfolio)
    services.portfolio_cash_records_change(portfolio=portfolio, records_cash=True)
    assert version(portfolio) == before + 1


def test_transactions_load_moves_the_version_once_from_the_earliest_row(portfolio, aapl):
    rows = [
        Transaction(kind="buy", date=dt.date(2024, 3, 1), asset=aapl, quantity=1, price=1),
        Transaction(kind="buy", date=dt.date(2024, 2, 1), asset=aapl, quantity=1, price=1),
    ]
    services.transactions_load(portfolio=portfolio, transactions=rows)
    stored = Portfolio.objects.get(pk=portfolio.pk)
    assert stored.ledger_version == 1
    assert stored.ledger_summary["changes"][-1][1] == "2024-02-01"
    assert stored.ledger_summary["count"] == 2


def test_seed_demo_leaves_every_portfolio_versioned_with_all_its_transactions():
    call_command("seed_demo")
    owner = User.objects.get(email="demo@portfolia.local")
    for portfolio in Portfolio.objects.filter(owner=owner):
        assert version(portfolio) >= 1
        assert summary_count(portfolio) == portfolio.transactions.count() > 0


def test_the_benchmark_loader_moves_the_version(user):
    from bench import workload

    portfolio, generated = workload.load("S", owner=user, today=dt.date(2025, 6, 30))
    assert version(portfolio) == 1
    assert summary_count(portfolio) == len(generated.transactions)


def test_the_admin_offers_no_way_to_write_a_transaction(rf, admin_user):
    assert Transaction not in admin.site._registry
    inline = TransactionInline(Portfolio, admin.site)
    request = rf.get("/")
    request.user = admin_user
    assert not inline.has_add_permission(request)
    assert not inline.has_change_permission(request)
    assert not inline.can_delete
    assert PortfolioAdmin in {type(model_admin) for model_admin in admin.site._registry.values()}


# Writes of transaction rows: the manager's, the queryset's and a portfolio's related manager's
# write methods, raw SQL against the table, and a version bump by hand (only the services do).
WRITE = re.compile(
    r"Transaction\.objects\.(create|bulk_create|bulk_update|update_or_create|get_or_create)\b"
    r"|Transaction\.objects\.filter\([^)]*\)\.(update|delete)\("
    r"|\.transactions\.(create|bulk_create|update|delete|all\(\)\.delete)\("
    r"|\bledger_changed\("
    r"|(INSERT INTO|UPDATE|DELETE FROM)\s+\"?portfolios_transaction"
)


def source_files():
    """The project's Python files, without tests, migrations and hidden folders (the venv)."""
    for folder, dirs, files in os.walk(ROOT):
        dirs[:] = [d for d in dirs if not d.startswith(".") and d not in {"tests", "migrations"}]
        yield from (Path(folder) / name for name in files if name.endswith(".py"))


def test_no_code_outside_the_services_writes_transaction_rows():
    services_dir = ROOT / "portfolios" / "services"
    offenders = []
    for path in sorted(source_files()):
        relative = path.relative_to(ROOT)
        if path.is_relative_to(services_dir) or relative == Path("portfolios/models.py"):
            continue
        for number, line in enumerate(path.read_text().splitlines(), 1):
            if WRITE.search(line):
                offenders.append(f"{relative}:{number}: {line.strip()}")
    assert offenders == [], "write transactions through portfolios.services:\n" + "\n".join(
        offenders
    )
