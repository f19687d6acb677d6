"""Auth API: registration, JWT token endpoints (throttled as 'auth') and the current user."""

from drf_spectacular.utils import extend_schema
from rest_framework import permissions, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.throttling import ScopedRateThrottle
from rest_framework.views import APIView
from rest_framework_simplejwt import views as jwt_views

from accounts.serializers import MeUpdateSerializer, RegisterSerializer, UserSerializer
from accounts.services import user_create, user_update


class AuthThrottleMixin:
    """Credential endpoints get their own, stricter rate on top of the anonymous one."""

    throttle_scope = "auth"

    def get_throttles(self):
        return [*super().get_throttles(), ScopedRateThrottle()]


class RegisterView(AuthThrottleMixin, APIView):
    permission_classes = [permissions.AllowAny]
    authentication_classes: list = []

    @extend_schema(request=RegisterSerializer, responses={201: UserSerializer})
    def post(self, request: Request) -> Response:
        serializer = RegisterSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        user = user_create(**serializer.validated_data)
        return Response(UserSerializer(user).data, status=status.HTTP_201_CREATED)


class TokenObtainView(AuthThrottleMixin, jwt_views.TokenObtainPairView):
    pass


class TokenRefreshView(AuthThrottleMixin, jwt_views.TokenRefreshView):
    pass


class TokenVerifyView(AuthThrottleMixin, jwt_views.TokenVerifyView):
    pass


class MeView(APIView):
    @extend_schema(responses=UserSerializer)
    def get(self, request: Request) -> Response:
        return Response(UserSerializer(request.user).data)

    @extend_schema(request=MeUpdateSerializer, responses=UserSerializer)
    def patch(self, request: Request) -> Response:
        serializer = MeUpdateSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        user = user_update(user=request.user, **serializer.validated_data)
        return Response(UserSerializer(user).data)
