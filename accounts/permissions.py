"""The API's permission classes for the roles (``accounts.roles``): by permission, never by
the ``is_staff`` flag, as the pages' ``accounts.decorators``."""

from rest_framework.permissions import BasePermission

from accounts.roles import OPERATIONS


class HasOperationsPermission(BasePermission):
    """The diagnostics' holders only (``accounts.view_operations``): staff, by group."""

    def has_permission(self, request, view) -> bool:
        user = request.user
        return bool(user and user.is_authenticated and user.has_perm(OPERATIONS))
