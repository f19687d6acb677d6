"""Staff management of users: search, filters, and the same password tools as Django's; API
keys (revoked through the service); the audit log, read only."""

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import AdminUserCreationForm, UserChangeForm

from accounts import audit
from accounts.models import ApiKey, AuditDoor, AuditEntry, User
from accounts.services import api_key_revoke


class UserChangeFormForEmail(UserChangeForm):
    class Meta:
        model = User
        fields = "__all__"


class UserCreationFormForEmail(AdminUserCreationForm):
    class Meta:
        model = User
        fields = ("email",)


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    form = UserChangeFormForEmail
    add_form = UserCreationFormForEmail
    ordering = ("email",)
    list_display = ("email", "name", "base_currency", "is_active", "is_staff", "date_joined")
    list_filter = ("is_active", "is_staff", "is_superuser", "base_currency", "date_joined")
    search_fields = ("email", "name")
    readonly_fields = ("last_login", "date_joined")
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        ("Profile", {"fields": ("name", "base_currency")}),
        (
            "Permissions",
            {"fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")},
        ),
        ("Dates", {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = ((None, {"classes": ("wide",), "fields": ("email", "password1", "password2")}),)

    # A staff member's change to a user (roles, flags, profile) is an audit entry: the fields
    # before and after (groups and permissions by name; never the password hash).
    AUDITED = ("email", "name", "base_currency", "is_active", "is_staff", "is_superuser")

    def _audited_state(self, user: User) -> dict:
        return {
            **audit.fields_of(user, self.AUDITED),
            "groups": sorted(user.groups.values_list("name", flat=True)),
            "user_permissions": sorted(user.user_permissions.values_list("codename", flat=True)),
        }

    def save_model(self, request, obj, form, change) -> None:
        obj._audit_before = self._audited_state(User.objects.get(pk=obj.pk)) if change else None
        super().save_model(request, obj, form, change)

    def save_related(self, request, form, formsets, change) -> None:
        super().save_related(request, form, formsets, change)
        user = form.instance
        before, after = getattr(user, "_audit_before", None), self._audited_state(user)
        if before is not None:
            before, after = audit.changed(before, after)
        if "password" in form.changed_data or "password1" in form.changed_data:
            after["password"] = "changed"
        if after:
            with audit.door(AuditDoor.ADMIN):
                audit.audit_record(
                    action="update" if change else "create",
                    obj=user,
                    object_id=user.pk,
                    owner_id=user.pk,
                    before=before,
                    after=after,
                )

    def delete_model(self, request, obj) -> None:
        before = self._audited_state(obj)
        user_id = obj.pk
        super().delete_model(request, obj)
        with audit.door(AuditDoor.ADMIN):
            audit.audit_record(
                action="delete",
                object_type="user",
                object_id=user_id,
                object_repr=before["email"],
                owner_id=user_id,
                before=before,
            )

    def delete_queryset(self, request, queryset) -> None:
        for user in queryset:
            self.delete_model(request, user)


@admin.register(ApiKey)
class ApiKeyAdmin(admin.ModelAdmin):
    """Keys are made by their owners; staff can see and revoke them, never read one."""

    list_display = ("name", "user", "prefix", "scope", "created_at", "expires_at", "revoked_at")
    list_filter = ("scope", "revoked_at", "expires_at")
    search_fields = ("name", "prefix", "user__email")
    readonly_fields = (
        "user",
        "name",
        "prefix",
        "scope",
        "created_at",
        "expires_at",
        "last_used_at",
        "last_used_ip",
        "revoked_at",
    )
    fields = readonly_fields
    actions = ["revoke"]

    def has_add_permission(self, request) -> bool:
        return False

    @admin.action(description="Revoke the selected keys", permissions=["change"])
    def revoke(self, request, queryset) -> None:
        with audit.door(AuditDoor.ADMIN):
            for api_key in queryset:
                api_key_revoke(api_key=api_key)


@admin.register(AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin):
    """The audit log for staff: every entry, read only (nobody adds, edits or deletes one)."""

    list_display = ("created_at", "actor_email", "door", "action", "object_type", "object_repr")
    list_filter = ("door", "action", "object_type", "created_at")
    search_fields = ("actor_email", "object_id", "object_repr", "request_id")
    date_hierarchy = "created_at"

    def get_readonly_fields(self, request, obj=None):
        return [field.name for field in AuditEntry._meta.fields]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
