"""The custom user (the email address is the login, each user has a base currency; the roles'
permissions are declared on it), the user's personal API keys, and the audit log."""

import datetime
import uuid

from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone

from portfolia.currencies import CURRENCY_CHOICES
from portfolia.validators import validate_no_control_characters


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def _create_user(self, email: str, password: str | None, **extra_fields) -> "User":
        if not email:
            raise ValueError("An email address is required.")
        user = self.model(email=self.normalize_email(email).lower(), **extra_fields)
        user.set_password(password)
        user.full_clean(exclude=["password"])
        user.save(using=self._db)
        return user

    def create_user(self, email: str, password: str | None = None, **extra_fields) -> "User":
        extra_fields.setdefault("is_staff", False)
        extra_fields.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra_fields)

    def create_superuser(self, email: str, password: str | None = None, **extra_fields) -> "User":
        extra_fields.setdefault("is_staff", True)
        extra_fields.setdefault("is_superuser", True)
        extra_fields.setdefault("email_verified", True)  # made at the console, by its owner
        if not extra_fields["is_staff"] or not extra_fields["is_superuser"]:
            raise ValueError("A superuser must have is_staff and is_superuser set.")
        return self._create_user(email, password, **extra_fields)


class User(AbstractBaseUser, PermissionsMixin):
    email = models.EmailField("email address", unique=True)
    name = models.CharField(max_length=150, blank=True)
    base_currency = models.CharField(
        max_length=3,
        choices=CURRENCY_CHOICES,
        default="USD",
        help_text="Currency new portfolios use and totals are shown in.",
    )
    is_staff = models.BooleanField(
        default=False, help_text="Whether the user can log into the admin site."
    )
    is_active = models.BooleanField(
        default=True, help_text="Unselect this instead of deleting the account."
    )
    date_joined = models.DateTimeField(default=timezone.now)
    email_verified = models.BooleanField(
        default=False,
        db_default=False,  # rows written by older code (a migration test) get it too
        help_text="Whether the user followed the link mailed to their address "
        "(until then they cannot make API keys).",
    )

    objects = UserManager()

    EMAIL_FIELD = "email"
    USERNAME_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    class Meta:
        ordering = ["email"]
        constraints = [
            models.UniqueConstraint(Lower("email"), name="accounts_user_email_ci_unique"),
        ]
        # The roles' own permissions (groups "Staff" and "Support", migration 0004).
        permissions = [
            ("view_operations", "Can see the data status and the server diagnostics"),
            ("view_customer_data", "Can view customers' portfolios read-only (support)"),
        ]

    def __str__(self) -> str:
        return self.email

    def clean(self) -> None:
        super().clean()
        self.email = self.__class__.objects.normalize_email(self.email).lower()

    def get_full_name(self) -> str:
        return self.name or self.email

    def get_short_name(self) -> str:
        return self.name.split(" ")[0] if self.name else self.email


class ApiKeyScope(models.TextChoices):
    READ = "read", "Read only"
    WRITE = "write", "Read and write"


class ApiKey(models.Model):
    """A personal API key: a script's credential that is not its owner's password.

    The key itself is shown once, when it is made; only its SHA-256 is kept (a key is 256 random
    bits, so a fast hash is as safe as a slow one and costs nothing per request). ``prefix`` is
    the key's public first part, to find the row without scanning and to tell keys apart."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_keys")
    name = models.CharField(max_length=100, validators=[validate_no_control_characters])
    prefix = models.CharField(max_length=16, unique=True, editable=False)
    hashed_key = models.CharField(max_length=64, editable=False)
    scope = models.CharField(max_length=5, choices=ApiKeyScope.choices, default=ApiKeyScope.READ)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    expires_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    last_used_ip = models.GenericIPAddressField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = "API key"

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    def is_usable(self, now: "datetime.datetime | None" = None) -> bool:
        """Not revoked and not expired at ``now``."""
        now = now or timezone.now()
        return self.revoked_at is None and (self.expires_at is None or self.expires_at > now)


class AuditDoor(models.TextChoices):
    PAGE = "page", "Page"
    API = "api", "API"
    IMPORT = "import", "Import"
    ADMIN = "admin", "Admin"
    TASK = "task", "Task"
    SUPPORT = "support", "Support"
    SYSTEM = "system", "System"


class AuditEntry(models.Model):
    """One write (or one support view) in the audit log: who, when, through which door, on
    what, and the change. Ids and texts only, never foreign keys, so an entry outlives the user
    and the object it names. ``owner_user_id`` is whose data it was (they see the entry)."""

    created_at = models.DateTimeField(default=timezone.now, editable=False)
    actor_user_id = models.BigIntegerField(null=True, blank=True)
    actor_email = models.CharField(max_length=254, blank=True)
    owner_user_id = models.BigIntegerField(null=True, blank=True)
    door = models.CharField(max_length=8, choices=AuditDoor.choices)
    action = models.CharField(max_length=40)
    object_type = models.CharField(max_length=40)
    object_id = models.CharField(max_length=64, blank=True)
    object_repr = models.CharField(max_length=200, blank=True)
    before = models.JSONField(null=True, blank=True)
    after = models.JSONField(null=True, blank=True)
    request_id = models.CharField(max_length=128, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = "audit entry"
        verbose_name_plural = "audit log"
        default_permissions = ("view",)
        indexes = [
            models.Index(fields=["owner_user_id", "-created_at"], name="accounts_audit_owner_idx"),
            models.Index(fields=["object_type", "object_id"], name="accounts_audit_object_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.action} {self.object_type} {self.object_repr}"
