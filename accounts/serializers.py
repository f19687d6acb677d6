"""API translation for users: registration input and the ``me`` representation."""

from rest_framework import serializers
from rest_framework_simplejwt import serializers as jwt_serializers

from accounts.models import ApiKey, ApiKeyScope, AuditEntry, User
from portfolia.currencies import CURRENCY_CHOICES
from portfolia.rest import StrictFieldsMixin


class UserSerializer(serializers.ModelSerializer):
    class Meta:
        model = User
        fields = ("id", "email", "email_verified", "name", "base_currency", "date_joined")
        read_only_fields = ("id", "email", "email_verified", "date_joined")


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


class ApiKeySerializer(serializers.ModelSerializer):
    """A key as listed: never the key itself (it is not kept), its prefix to tell it apart."""

    id = serializers.UUIDField(source="public_id", read_only=True)
    revoked = serializers.SerializerMethodField()

    class Meta:
        model = ApiKey
        fields = (
            "id",
            "name",
            "prefix",
            "scope",
            "created_at",
            "expires_at",
            "revoked",
            "revoked_at",
            "last_used_at",
            "last_used_ip",
        )
        read_only_fields = fields

    def get_revoked(self, api_key: ApiKey) -> bool:
        return api_key.revoked_at is not None


class ApiKeyCreateSerializer(StrictFieldsMixin, serializers.Serializer):
    name = serializers.CharField(max_length=100)
    scope = serializers.ChoiceField(choices=ApiKeyScope.choices, default=ApiKeyScope.READ)
    expires_at = serializers.DateTimeField(required=False, allow_null=True, default=None)


class ApiKeyCreatedSerializer(ApiKeySerializer):
    """The answer to a create: the key, this once."""

    key = serializers.SerializerMethodField(help_text="The key itself; shown this once only.")

    class Meta(ApiKeySerializer.Meta):
        fields = (*ApiKeySerializer.Meta.fields, "key")
        read_only_fields = fields

    def get_key(self, api_key: ApiKey) -> str:
        return self.context["key"]


class AuditEntrySerializer(serializers.ModelSerializer):
    """An audit entry about the user's data: who (their email then), when, through which
    door, on what, and the change (field → value, decimals as strings)."""

    actor = serializers.CharField(source="actor_email", read_only=True)
    before = serializers.JSONField(read_only=True, allow_null=True)
    after = serializers.JSONField(read_only=True, allow_null=True)

    class Meta:
        model = AuditEntry
        fields = (
            "created_at",
            "actor",
            "door",
            "action",
            "object_type",
            "object_id",
            "object_repr",
            "before",
            "after",
            "request_id",
        )
        read_only_fields = fields
