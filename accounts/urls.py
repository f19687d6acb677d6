"""Account page URLs: Django's auth views (log in, password reset and password change throttled
by ours), plus sign-up and profile."""

from django.urls import include, path

from accounts import views

urlpatterns = [
    path("signup/", views.signup, name="signup"),
    path("login/", views.LoginView.as_view(), name="login"),
    path("password_reset/", views.PasswordResetView.as_view(), name="password_reset"),
    path("password_change/", views.PasswordChangeView.as_view(), name="password_change"),
    path("profile/", views.profile, name="profile"),
    path("api-keys/", views.api_keys, name="api-keys"),
    path("api-keys/<uuid:key_id>/revoke/", views.api_key_revoke_view, name="api-key-revoke"),
    path("activity/", views.activity, name="activity"),
    path("email/", views.email_change, name="email-change"),
    path("email/verify/resend/", views.email_verify_resend, name="email-verify-resend"),
    path("email/verify/<str:token>/", views.email_verify, name="email-verify"),
    path("delete/", views.account_delete, name="account-delete"),
    path("", include("django.contrib.auth.urls")),
]
