"""Every model change has its migration."""

import pytest
from django.core.management import call_command


@pytest.mark.django_db
def test_no_model_change_lacks_a_migration():
    call_command("makemigrations", "--check", "--dry-run", verbosity=0)


@pytest.mark.django_db(transaction=True)
def test_the_write_logs_start_from_the_last_recorded_write():
    """portfolios 0004 and market 0007 turn the single "changed from" dates into write logs."""
    import datetime

    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    before = [
        ("portfolios", "0003_portfolio_ledger_summary"),
        ("market", "0006_asset_first_last_price_date"),
    ]
    executor = MigrationExecutor(connection)
    executor.migrate(before)
    old = executor.loader.project_state(before).apps
    user = old.get_model("accounts", "User").objects.create(email="old@example.com")
    portfolio = old.get_model("portfolios", "Portfolio").objects.create(
        owner=user,
        name="Old",
        ledger_version=7,
        ledger_changed_from=datetime.date(2024, 5, 2),
        ledger_summary={"count": 1, "first": "2024-05-02"},
    )
    asset = old.get_model("market", "Asset").objects.create(
        symbol="OLD",
        name="Old",
        asset_class="stock",
        currency="USD",
        provider="yahoo",
        price_version=3,
        prices_changed_from=datetime.date(2024, 1, 9),
    )
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())
    new = executor.loader.project_state(executor.loader.graph.leaf_nodes()).apps
    assert new.get_model("portfolios", "Portfolio").objects.get(pk=portfolio.pk).ledger_summary == {
        "count": 1,
        "first": "2024-05-02",
        "changes": [[7, "2024-05-02"]],
    }
    assert new.get_model("market", "Asset").objects.get(pk=asset.pk).price_changes == [
        [3, "2024-01-09"]
    ]
