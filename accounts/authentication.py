"""``Authorization: Api-Key <key>`` for the JSON API, beside JWT and the session.

A usable key authenticates as its owner with ``request.auth`` the ``ApiKey``; a read-only key
is refused (403) on every unsafe method, whatever the view's own permissions, since the key
itself carries the limit. A wrong, expired or revoked key answers 401 and counts as a failed
attempt of the client's address in the ``api_key`` scope of ``accounts.throttle``: at the
limit that address is locked out (429) before any key is looked up.
"""

from __future__ import annotations

import ipaddress

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.permissions import SAFE_METHODS
from rest_framework.request import Request

from accounts import api_keys, throttle
from accounts.models import ApiKey, ApiKeyScope, User


class ApiKeyAuthentication(BaseAuthentication):
    keyword = api_keys.KEYWORD

    def authenticate(self, request: Request) -> tuple[User, ApiKey] | None:
        parts = get_authorization_header(request).split()
        if not parts or parts[0].lower() != self.keyword.lower().encode():
            return None  # another scheme (or none): not ours to judge
        wait = throttle.locked_for(scope=throttle.API_KEY, request=request, account=None)
        if wait:
            raise throttle.locked_out_error(wait)
        try:
            key = parts[1].decode("ascii") if len(parts) == 2 else ""
        except UnicodeDecodeError:
            key = ""
        api_key = api_keys.key_check(key) if key else None
        if api_key is None:
            wait = throttle.attempt_record(scope=throttle.API_KEY, request=request, account=None)
            if wait:
                raise throttle.locked_out_error(wait)
            raise exceptions.AuthenticationFailed(
                "The API key is wrong, expired or revoked.", code="api_key_invalid"
            )
        if api_key.scope == ApiKeyScope.READ and request.method not in SAFE_METHODS:
            raise exceptions.PermissionDenied(
                "This API key is read-only.", code="api_key_read_only"
            )
        api_keys.use_record(api_key, ip=_address(request))
        return api_key.user, api_key

    def authenticate_header(self, request: Request) -> str:
        return self.keyword


def _address(request: Request) -> str | None:
    """The client's address as the throttles see it, if it is one address; else the socket's."""
    for candidate in (throttle.client_address(request), request.META.get("REMOTE_ADDR", "")):
        try:  # without an IPv6 zone ("%eth0"), which the database's address type refuses
            return str(ipaddress.ip_address(candidate.strip().partition("%")[0]))
        except ValueError:
            continue
    return None


class ApiKeyScheme(OpenApiAuthenticationExtension):
    """The key in the OpenAPI document (drf-spectacular picks this up by the class path)."""

    target_class = "accounts.authentication.ApiKeyAuthentication"
    name = "apiKeyAuth"

    def get_security_definition(self, auto_schema):
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": "A personal API key, sent as `Api-Key <key>` "
            "(made under Profile → API keys, or `POST /api/v1/api-keys/`).",
        }
