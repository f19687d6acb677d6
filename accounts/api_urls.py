"""Auth API URLs under /api/v1/."""

from django.urls import path

from accounts import api

urlpatterns = [
    path("auth/register/", api.RegisterView.as_view(), name="api-register"),
    path("auth/token/", api.TokenObtainView.as_view(), name="api-token"),
    path("auth/token/refresh/", api.TokenRefreshView.as_view(), name="api-token-refresh"),
    path("auth/token/verify/", api.TokenVerifyView.as_view(), name="api-token-verify"),
    path("me/", api.MeView.as_view(), name="api-me"),
    path("api-keys/", api.ApiKeyListView.as_view(), name="api-key-list"),
    path("api-keys/<uuid:key_id>/", api.ApiKeyDetailView.as_view(), name="api-key-detail"),
    path("audit/", api.AuditListView.as_view(), name="api-audit-list"),
]
