"""The roles as groups "Staff" and "Support" with their permissions (``accounts.roles``)."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

from accounts.roles import SUPPORT, STAFF, roles_grant


def groups_create(apps, schema_editor):
    # Permissions are normally made after all migrations; make them now to grant them.
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    roles_grant(apps.get_model("auth", "Group"), apps.get_model("auth", "Permission"))


def groups_delete(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name__in=[STAFF, SUPPORT]).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0003_audit_log_and_role_permissions"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        # The latest of each app, so every model's view permission exists to grant.
        ("market", "0011_asset_market_cap"),
        ("portfolios", "0009_instrument_symbols"),
    ]

    operations = [migrations.RunPython(groups_create, groups_delete)]
