"""The roles as Django groups and what each may do (``roles_grant``, run by migration 0004).

- "Staff": every model's view permission in the admin, the changes the admin offers (users,
  API keys, assets, portfolios), the data status and diagnostics (``view_operations``) and the
  support pages (``view_customer_data``). Logging into Django's admin also needs ``is_staff``.
- "Support": ``view_customer_data`` only: customers' portfolios, read only, every view audited.
- Investors are in no group: their own data is theirs by ownership, not by permission.
"""

from __future__ import annotations

STAFF = "Staff"
SUPPORT = "Support"
APPS = ("accounts", "market", "portfolios")
STAFF_CHANGES = (
    "accounts.change_user",
    "accounts.change_apikey",
    "market.change_asset",
    "portfolios.change_portfolio",
    "portfolios.delete_portfolio",
)
OPERATIONS = "accounts.view_operations"
CUSTOMER_DATA = "accounts.view_customer_data"


def _permissions(Permission, names) -> list:
    found = []
    for name in names:
        app_label, codename = name.split(".")
        found.extend(
            Permission.objects.filter(content_type__app_label=app_label, codename=codename)
        )
    return found


def roles_grant(Group, Permission) -> None:
    """Make (or complete) the two groups; takes the models so a migration can pass its own."""
    views = Permission.objects.filter(
        content_type__app_label__in=APPS, codename__startswith="view_"
    )
    staff, _ = Group.objects.get_or_create(name=STAFF)
    staff.permissions.add(*views, *_permissions(Permission, STAFF_CHANGES))
    support, _ = Group.objects.get_or_create(name=SUPPORT)
    support.permissions.add(*_permissions(Permission, [CUSTOMER_DATA]))
