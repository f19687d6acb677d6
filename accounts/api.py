"""Auth API: registration, JWT token endpoints (throttled as 'auth'; registration and the token
endpoint also share the pages' lockout, ``accounts.throttle``), the current user, and the
user's personal API keys (``accounts.authentication`` accepts them)."""

import uuid

from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, generics, permissions, status
from rest_framework.authentication import SessionAuthentication
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.throttling import ScopedRateThrottle
from rest_framework.views import APIView
from rest_framework_simplejwt import views as jwt_views
from rest_framework_simplejwt.authentication import JWTAuthentication

from accounts import lifecycle, selectors, throttle
from accounts.models import ApiKey, AuditEntry
from accounts.serializers import (
    ApiKeyCreatedSerializer,
    ApiKeyCreateSerializer,
    ApiKeySerializer,
    AuditEntrySerializer,
    MeUpdateSerializer,
    RegisterSerializer,
    TokenObtainSerializer,
    TokenRefreshSerializer,
    TokenVerifySerializer,
    UserSerializer,
)
from accounts.services import api_key_create, api_key_revoke, user_create, user_update
from portfolia.rest import StrictQueryParamsMixin


class AuthThrottleMixin(StrictQueryParamsMixin):
    """Credential endpoints get their own, stricter rate on top of the anonymous one."""

    throttle_scope = "auth"

    def get_throttles(self):
        return [*super().get_throttles(), ScopedRateThrottle()]


def _lockout_check(scope: str, request: Request, account: str) -> None:
    """Refuse a locked account or address in ``scope``."""
    wait = throttle.locked_for(scope=scope, request=request, account=account)
    if wait:
        raise throttle.locked_out_error(wait)


def _account(request: Request) -> str:
    value = request.data.get("email", "") if hasattr(request.data, "get") else ""
    return value if isinstance(value, str) else ""


class RegisterView(AuthThrottleMixin, APIView):
    """The sign-up page's twin: every attempt counts towards the sign-up lockout."""

    permission_classes = [permissions.AllowAny]
    authentication_classes: list = []

    @extend_schema(request=RegisterSerializer, responses={201: UserSerializer})
    def post(self, request: Request) -> Response:
        _lockout_check(throttle.SIGNUP, request, _account(request))
        throttle.attempt_record(scope=throttle.SIGNUP, request=request, account=_account(request))
        serializer = RegisterSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        user = user_create(**serializer.validated_data)
        lifecycle.verification_send(
            user=user, email=user.email, link_for=lifecycle.links_from(request)
        )
        return Response(UserSerializer(user).data, status=status.HTTP_201_CREATED)


class TokenObtainView(AuthThrottleMixin, jwt_views.TokenObtainPairView):
    """The log-in page's twin: wrong passwords count towards the same lockout."""

    serializer_class = TokenObtainSerializer
    credential_endpoint = True  # wrong credentials or token: 401 (in the schema too)

    def post(self, request: Request, *args, **kwargs) -> Response:
        account = _account(request)
        _lockout_check(throttle.LOGIN, request, account)
        try:
            response = super().post(request, *args, **kwargs)
        except exceptions.AuthenticationFailed:
            wait = throttle.attempt_record(scope=throttle.LOGIN, request=request, account=account)
            if wait:
                raise throttle.locked_out_error(wait) from None
            raise
        throttle.attempts_clear(scope=throttle.LOGIN, account=account)
        return response


class TokenRefreshView(AuthThrottleMixin, jwt_views.TokenRefreshView):
    serializer_class = TokenRefreshSerializer
    credential_endpoint = True  # wrong credentials or token: 401 (in the schema too)


class TokenVerifyView(AuthThrottleMixin, jwt_views.TokenVerifyView):
    serializer_class = TokenVerifySerializer
    credential_endpoint = True  # wrong credentials or token: 401 (in the schema too)


class MeView(StrictQueryParamsMixin, APIView):
    @extend_schema(responses=UserSerializer)
    def get(self, request: Request) -> Response:
        return Response(UserSerializer(request.user).data)

    @extend_schema(request=MeUpdateSerializer, responses=UserSerializer)
    def patch(self, request: Request) -> Response:
        serializer = MeUpdateSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        user = user_update(user=request.user, **serializer.validated_data)
        return Response(UserSerializer(user).data)


class ApiKeysMixin(StrictQueryParamsMixin):
    """Key management takes a JWT or the session, never an API key: a leaked key must not
    mint lasting ones."""

    authentication_classes = [JWTAuthentication, SessionAuthentication]


class ApiKeyListView(ApiKeysMixin, generics.ListAPIView):
    """The user's API keys (never the keys themselves); POST makes one and answers it once."""

    serializer_class = ApiKeySerializer

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return ApiKey.objects.none()
        return selectors.api_keys_for_user(self.request.user)

    @extend_schema(request=ApiKeyCreateSerializer, responses={201: ApiKeyCreatedSerializer})
    def post(self, request: Request) -> Response:
        serializer = ApiKeyCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        api_key, key = api_key_create(user=request.user, **serializer.validated_data)
        data = ApiKeyCreatedSerializer(api_key, context={"key": key}).data
        return Response(data, status=status.HTTP_201_CREATED)


class ApiKeyDetailView(ApiKeysMixin, APIView):
    @extend_schema(responses=ApiKeySerializer)
    def get(self, request: Request, key_id: uuid.UUID) -> Response:
        api_key = selectors.api_key_get_for_user(request.user, key_id)
        return Response(ApiKeySerializer(api_key).data)

    @extend_schema(responses={204: None})
    def delete(self, request: Request, key_id: uuid.UUID) -> Response:
        """Revoke the key (it stays listed, revoked); revoking a revoked key is a no-op."""
        api_key_revoke(api_key=selectors.api_key_get_for_user(request.user, key_id))
        return Response(status=status.HTTP_204_NO_CONTENT)


class AuditListView(StrictQueryParamsMixin, generics.ListAPIView):
    """The audit log of your own data, newest first (paged): every write to your portfolios,
    transactions, targets and API keys, and every support view of them."""

    serializer_class = AuditEntrySerializer
    filter_backends: list = []

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return AuditEntry.objects.none()
        return selectors.audit_entries_for_user(self.request.user)
