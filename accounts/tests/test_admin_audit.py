"""Staff actions in the admin are audit entries from the admin door: a user's roles changed,
a user deleted (the entry stays), API keys revoked."""

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse

from accounts.models import AuditEntry, User
from accounts.services import api_key_create
from accounts.tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff(client):
    member = UserFactory(email="staff@example.com", is_staff=True, is_superuser=True)
    client.force_login(member)
    client.member = member
    return client


def test_giving_a_user_the_support_role_is_an_entry_with_the_groups_before_and_after(staff):
    agent = UserFactory(email="agent@example.com", name="Agent", base_currency="USD")
    support = Group.objects.get(name="Support")
    body = {
        "email": agent.email,
        "name": "Agent",
        "base_currency": "USD",
        "is_active": "on",
        "groups": [support.pk],
        "last_login_0": "",
        "last_login_1": "",
        "date_joined_0": "2026-01-01",
        "date_joined_1": "00:00:00",
    }
    response = staff.post(reverse("admin:accounts_user_change", args=[agent.pk]), body)
    assert response.status_code == 302, response.content.decode()[:3000]
    entry = AuditEntry.objects.get(object_type="user", action="update")
    assert (entry.door, entry.actor_user_id, entry.owner_user_id) == (
        "admin",
        staff.member.pk,
        agent.pk,
    )
    assert (entry.before, entry.after) == ({"groups": []}, {"groups": ["Support"]})
    assert agent.has_perm("accounts.view_customer_data")


def test_a_user_deleted_in_the_admin_leaves_the_entry(staff):
    gone = UserFactory(email="gone@example.com")
    url = reverse("admin:accounts_user_delete", args=[gone.pk])
    assert staff.post(url, {"post": "yes"}).status_code == 302
    assert not User.objects.filter(pk=gone.pk).exists()
    entry = AuditEntry.objects.get(action="delete", object_type="user")
    assert (entry.object_repr, entry.door, entry.before["email"]) == (
        "gone@example.com",
        "admin",
        "gone@example.com",
    )


def test_revoking_keys_in_the_admin_goes_through_the_service_and_is_audited(staff):
    owner = UserFactory()
    row, _key = api_key_create(user=owner, name="Old script")
    response = staff.post(
        reverse("admin:accounts_apikey_changelist"),
        {"action": "revoke", "_selected_action": [row.pk]},
    )
    assert response.status_code == 302
    row.refresh_from_db()
    assert row.revoked_at is not None
    entry = AuditEntry.objects.get(action="revoke")
    assert (entry.door, entry.actor_user_id, entry.owner_user_id) == (
        "admin",
        staff.member.pk,
        owner.pk,
    )
