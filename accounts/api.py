"""Auth API: registration, JWT token endpoints (throttled as 'auth'; registration and the token
endpoint also share the pages' lockout, ``accounts.throttle``) and the current user."""

from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, permissions, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.throttling import ScopedRateThrottle
from rest_framework.views import APIView
from rest_framework_simplejwt import views as jwt_views

from accounts import throttle
from accounts.serializers import (
    MeUpdateSerializer,
    RegisterSerializer,
    TokenObtainSerializer,
    TokenRefreshSerializer,
    TokenVerifySerializer,
    UserSerializer,
)
from accounts.services import user_create, user_update
from portfolia.rest import StrictQueryParamsMixin


class AuthThrottleMixin(StrictQueryParamsMixin):
    """Credential endpoints get their own, stricter rate on top of the anonymous one."""

    throttle_scope = "auth"

    def get_throttles(self):
        return [*super().get_throttles(), ScopedRateThrottle()]


def _locked_out(wait: int) -> exceptions.Throttled:
    """429 with the lockout message (and ``Retry-After``), as the pages say it."""
    error = exceptions.Throttled(wait=wait)
    error.detail = exceptions.ErrorDetail(throttle.lockout_message(wait), code="throttled")
    return error


def _lockout_check(scope: str, request: Request, account: str) -> None:
    """Refuse a locked account or address in ``scope``."""
    wait = throttle.locked_for(scope=scope, request=request, account=account)
    if wait:
        raise _locked_out(wait)


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
                raise _locked_out(wait) from None
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
