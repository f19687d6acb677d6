"""Account lifecycle: the address verified on sign-up, a change of address verified at the new
one, and deletion by the user taking everything of theirs."""

import datetime as dt
import re
from decimal import Decimal

import pytest
from django.core import mail, signing
from django.core.exceptions import ValidationError
from django.urls import reverse

from accounts import lifecycle
from accounts.models import ApiKey, User
from accounts.services import api_key_create
from accounts.tests.factories import PASSWORD, UserFactory
from market.models import Asset, Price
from market.tests.factories import ManualAssetFactory
from portfolios.models import Portfolio, TargetAllocation, Transaction
from portfolios.tests.factories import AssetFactory, PortfolioFactory, TransactionFactory

pytestmark = pytest.mark.django_db

SIGNUP = {
    "email": "new@example.com",
    "name": "Nia",
    "base_currency": "EUR",
    "password1": "a-long-and-unusual-passphrase",
    "password2": "a-long-and-unusual-passphrase",
}


def _link(message) -> str:
    return re.search(r"http://testserver(/accounts/email/verify/[^/\s]+/)", message.body).group(1)


def test_signup_mails_a_link_and_the_account_stays_unverified_until_it_is_confirmed(client):
    response = client.post(reverse("signup"), SIGNUP, follow=True)
    user = User.objects.get()
    assert user.email_verified is False
    assert "Please confirm your email address" in response.content.decode()
    assert [m.to for m in mail.outbox] == [["new@example.com"]]
    link = _link(mail.outbox[0])

    page = client.get(link)  # a mail scanner's GET confirms nothing
    assert page.status_code == 200 and "Confirm new@example.com" in page.content.decode()
    user.refresh_from_db()
    assert user.email_verified is False

    client.post(link)
    user.refresh_from_db()
    assert user.email_verified is True
    assert "Please confirm" not in client.get(reverse("profile")).content.decode()


def test_api_registration_mails_the_link_too(client):
    body = {"email": "api@example.com", "password": "a-long-and-unusual-passphrase"}
    response = client.post("/api/v1/auth/register/", body, content_type="application/json")
    assert response.status_code == 201
    assert response.json()["email_verified"] is False
    assert mail.outbox[0].to == ["api@example.com"] and "/accounts/email/verify/" in (
        mail.outbox[0].body
    )


def test_an_unverified_user_cannot_make_api_keys_on_the_page_or_the_api(client):
    user = UserFactory(email_verified=False)
    with pytest.raises(ValidationError, match="Confirm your email"):
        api_key_create(user=user, name="script")
    client.force_login(user)
    page = client.post(reverse("api-keys"), {"name": "script", "scope": "read"})
    assert "Confirm your email address first" in page.content.decode()
    api = client.post("/api/v1/api-keys/", {"name": "script"}, content_type="application/json")
    assert api.status_code == 400
    assert not ApiKey.objects.exists()


def test_a_resent_link_verifies_and_a_forged_or_expired_one_does_not(client, settings):
    user = UserFactory(email_verified=False)
    client.force_login(user)
    client.post(reverse("email-verify-resend"))
    link = _link(mail.outbox[0])
    forged = link[:-3] + ("x" if link[-3] != "x" else "y") + link[-2:]
    assert client.post(forged).status_code == 400

    token = link.rstrip("/").rsplit("/", 1)[1]
    later = dt.datetime.now() + lifecycle.VERIFY_MAX_AGE + dt.timedelta(minutes=1)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(signing.time, "time", later.timestamp)
        with pytest.raises(lifecycle.TokenInvalid):
            lifecycle.email_verify(token=token)
    user.refresh_from_db()
    assert user.email_verified is False
    client.post(link)
    user.refresh_from_db()
    assert user.email_verified is True


def test_changing_the_address_needs_the_password_and_moves_only_when_the_new_one_confirms(client):
    user = UserFactory(email="old@example.com")
    client.force_login(user)
    wrong = client.post(reverse("email-change"), {"email": "new@example.com", "password": "no"})
    assert "incorrectly" in wrong.content.decode() and not mail.outbox

    client.post(reverse("email-change"), {"email": "New@Example.com", "password": PASSWORD})
    assert [m.to for m in mail.outbox] == [["new@example.com"]]
    user.refresh_from_db()
    assert user.email == "old@example.com"  # not yet

    client.post(_link(mail.outbox[0]))
    user.refresh_from_db()
    assert (user.email, user.email_verified) == ("new@example.com", True)
    assert mail.outbox[-1].to == ["old@example.com"]  # the old address hears of it
    client.logout()
    assert client.login(email="new@example.com", password=PASSWORD)


def test_a_change_link_stops_working_once_another_account_takes_the_address(client):
    user = UserFactory(email="old@example.com")
    client.force_login(user)
    client.post(reverse("email-change"), {"email": "wanted@example.com", "password": PASSWORD})
    UserFactory(email="wanted@example.com")
    assert client.post(_link(mail.outbox[0])).status_code == 400
    user.refresh_from_db()
    assert user.email == "old@example.com"


def test_changing_to_a_taken_or_bad_address_is_refused_on_the_form(client):
    UserFactory(email="taken@example.com")
    client.force_login(UserFactory())
    for email, problem in [
        ("taken@example.com", "already exists"),
        ("bad\x00@example.com", "valid email"),
    ]:
        response = client.post(reverse("email-change"), {"email": email, "password": PASSWORD})
        assert response.status_code == 200 and problem in response.content.decode()
    assert not mail.outbox


def test_deleting_the_account_takes_its_manual_asset_used_in_a_transaction_and_all_else(client):
    """Before RESTRICT, Transaction.asset's PROTECT made this a ProtectedError."""
    user = UserFactory()
    other = UserFactory()
    manual = ManualAssetFactory(owner=user, symbol="HOUSE")
    Price.objects.create(asset=manual, date=dt.date(2024, 1, 2), close=100.0)
    shared = AssetFactory(symbol="VWX")
    portfolio = PortfolioFactory(owner=user)
    TransactionFactory(portfolio=portfolio, asset=manual, date=dt.date(2024, 1, 2), quantity=1)
    TransactionFactory(portfolio=portfolio, asset=shared, date=dt.date(2024, 1, 2), quantity=2)
    TargetAllocation.objects.create(portfolio=portfolio, asset=manual, weight=Decimal("100"))
    api_key_create(user=user, name="script")
    kept = TransactionFactory(
        portfolio=PortfolioFactory(owner=other), asset=shared, date=dt.date(2024, 1, 2)
    )

    client.force_login(user)
    wrong = client.post(reverse("account-delete"), {"password": "not it"})
    assert "incorrectly" in wrong.content.decode() and User.objects.filter(pk=user.pk).exists()

    response = client.post(reverse("account-delete"), {"password": PASSWORD}, follow=True)
    assert "all its data are deleted" in response.content.decode()
    assert not User.objects.filter(pk=user.pk).exists()
    assert not Asset.objects.filter(pk=manual.pk).exists()
    assert not Price.objects.filter(asset_id=manual.pk).exists()
    assert not Portfolio.objects.filter(owner_id=user.pk).exists()
    assert not ApiKey.objects.filter(user_id=user.pk).exists()
    assert list(Transaction.objects.all()) == [kept]  # the other user's stays
    assert Asset.objects.filter(pk=shared.pk).exists()  # a provider asset is nobody's
    assert client.get(reverse("dashboard")).status_code == 302  # logged out


def test_a_manual_asset_in_use_still_cannot_be_deleted_alone():
    from django.db.models import RestrictedError

    manual = ManualAssetFactory(owner=UserFactory())
    TransactionFactory(
        portfolio=PortfolioFactory(owner=manual.owner), asset=manual, date=dt.date(2024, 1, 2)
    )
    with pytest.raises(RestrictedError):
        manual.delete()
