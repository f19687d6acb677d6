"""API translation for users: registration input and the ``me`` representation."""

from rest_framework import serializers
from rest_framework_simplejwt import serializers as jwt_serializers

from accounts.models import User
from portfolia.currencies import CURRENCY_CHOICES
from portfolia.rest import StrictFieldsMixin


class UserSerializer(serializers.ModelSerializer):
    class Meta:
        model = User
        fields = ("id", "email", "name", "base_currency", "date_joined")
        read_only_fields = ("id", "email", "date_joined")


class RegisterSerializer(StrictFieldsMixin, serializers.Serializer):
    email = serializers.EmailField()
    password = serializers.CharField(write_only=True, style={"input_type": "password"})
    name = serializers.CharField(max_length=150, required=False, allow_blank=True, default="")
    base_currency = serializers.ChoiceField(choices=CURRENCY_CHOICES, default="USD")


class MeUpdateSerializer(StrictFieldsMixin, serializers.Serializer):
    name = serializers.CharField(max_length=150, required=False, allow_blank=True)
    base_currency = serializers.ChoiceField(choices=CURRENCY_CHOICES, required=False)


class TokenObtainSerializer(StrictFieldsMixin, jwt_serializers.TokenObtainPairSerializer):
    pass


class TokenRefreshSerializer(StrictFieldsMixin, jwt_serializers.TokenRefreshSerializer):
    pass


class TokenVerifySerializer(StrictFieldsMixin, jwt_serializers.TokenVerifySerializer):
    pass
