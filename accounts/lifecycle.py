"""Writes of an account's life after sign-up: verifying its email address (the one it signed up
with, or a new one it changes to) and deleting it with everything of its owner's.

A verification link carries a signed, timestamped token (``django.core.signing``) naming the
user and the address being verified; nothing is stored until it is followed. A token for the
current address verifies it; one for another address moves the account there, verified. A
token stops working after ``VERIFY_MAX_AGE``, or once its address is not the one it was made
for (the account moved elsewhere, or another account took the address)."""

import datetime
from collections.abc import Callable

from django.conf import settings
from django.core import signing
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.http import HttpRequest
from django.urls import reverse

from accounts.models import User

VERIFY_MAX_AGE = datetime.timedelta(days=3)
_SALT = "accounts.email-verify"

# Turns a token into the absolute link to mail (the view knows the host).
LinkFor = Callable[[str], str]


class TokenInvalid(Exception):
    """A verification token that is forged, expired or no longer applies."""


def links_from(request: HttpRequest) -> LinkFor:
    """Links on the host ``request`` came to."""
    return lambda token: request.build_absolute_uri(reverse("email-verify", args=[token]))


def verification_token(*, user: User, email: str) -> str:
    """A token proving whoever holds it reads ``email`` (for ``user``)."""
    return signing.dumps({"u": user.pk, "e": email}, salt=_SALT, compress=True)


def _token_read(token: str) -> tuple[User, str]:
    try:
        payload = signing.loads(token, salt=_SALT, max_age=VERIFY_MAX_AGE)
        user = User.objects.get(pk=payload["u"], is_active=True)
        email = str(payload["e"])
    except (signing.BadSignature, User.DoesNotExist, KeyError, TypeError, ValueError) as error:
        raise TokenInvalid("This link is invalid or has expired.") from error
    return user, email


def verification_preview(token: str) -> tuple[User, str]:
    """The user and address ``token`` would verify (raises TokenInvalid); writes nothing."""
    user, email = _token_read(token)
    if email != user.email and User.objects.filter(email__iexact=email).exists():
        raise TokenInvalid("Another account now uses this address.")
    return user, email


def _email_send(*, to: str, subject: str, body: str) -> None:
    send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [to])


def verification_send(*, user: User, email: str, link_for: LinkFor) -> None:
    """Mail ``email`` a link verifying it for ``user``."""
    link = link_for(verification_token(user=user, email=email))
    if email == user.email:
        subject = "Confirm your email address for Portfolia"
        intro = "Follow this link to confirm the address of your Portfolia account:"
    else:
        subject = "Confirm your new email address for Portfolia"
        intro = f"Follow this link to use this address for the Portfolia account of {user.email}:"
    days = VERIFY_MAX_AGE.days
    body = f"{intro}\n\n{link}\n\nThe link works for {days} days. If you did not ask, ignore it."
    _email_send(to=email, subject=subject, body=body)


@transaction.atomic
def email_change_request(*, user: User, email: str, password: str, link_for: LinkFor) -> str:
    """Check ``password`` and that ``email`` is free, then mail ``email`` a link that moves
    the account there; the account keeps its address until the link is followed."""
    if not user.check_password(password):
        raise ValidationError({"password": ["Your password was entered incorrectly."]})
    email = User.objects.normalize_email(email).lower()
    probe = User(email=email, base_currency=user.base_currency)
    probe.full_clean(exclude=["password"], validate_unique=False, validate_constraints=False)
    if email == user.email:
        raise ValidationError({"email": ["This is already your address."]})
    if User.objects.filter(email__iexact=email).exists():
        raise ValidationError({"email": ["A user with this email address already exists."]})
    verification_send(user=user, email=email, link_for=link_for)
    return email


@transaction.atomic
def email_verify(*, token: str) -> User:
    """Follow a verification link: the address it names becomes the account's, verified.
    Raises TokenInvalid for a bad, expired or stale token."""
    user, email = verification_preview(token)
    user = User.objects.select_for_update().get(pk=user.pk)
    old = user.email
    user.email = email
    user.email_verified = True
    user.save(update_fields=["email", "email_verified"])
    if old != email:
        _email_send(
            to=old,
            subject="Your Portfolia email address changed",
            body=f"Your Portfolia account now uses {email}. If this was not you, reply to us.",
        )
    return user


@transaction.atomic
def user_delete(*, user: User, password: str) -> None:
    """Delete ``user`` after checking ``password``, and with them everything of theirs:
    portfolios with their transactions, targets and runs, manual assets with their prices,
    API keys, remembered instrument symbols."""
    if not user.check_password(password):
        raise ValidationError({"password": ["Your password was entered incorrectly."]})
    user.delete()
