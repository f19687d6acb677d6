"""Account pages: sign-up, and Django's log in, password reset and password change behind the
lockout of ``accounts.throttle``; profile and API keys (log out and the rest are Django's own
views)."""

import uuid

from django.contrib import messages
from django.contrib.auth import login, logout
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from accounts import lifecycle, selectors, throttle
from accounts.forms import AccountDeleteForm, ApiKeyForm, EmailChangeForm, ProfileForm, SignUpForm
from accounts.services import api_key_create, api_key_revoke, user_create, user_update
from portfolia.form_errors import form_apply_errors


def _locked(response: HttpResponse, seconds: int) -> HttpResponse:
    response.status_code = 429
    response["Retry-After"] = str(seconds)
    return response


class CredentialThrottleMixin:
    """A credential form view (Django's ``FormView`` family) behind ``accounts.throttle``:
    a locked account or address gets the page again, unfilled but for the email, with the
    lockout message and 429, and its password is never checked."""

    throttle_scope: str
    account_field = "email"
    count_failures_only = False  # log-in: only failures count; else every submission

    def _account(self) -> str:
        return self.request.POST.get(self.account_field, "")

    def post(self, request, *args, **kwargs):
        wait = throttle.locked_for(
            scope=self.throttle_scope, request=request, account=self._account()
        )
        if wait:
            return self.locked(wait)
        if not self.count_failures_only:
            throttle.attempt_record(
                scope=self.throttle_scope, request=request, account=self._account()
            )
        return super().post(request, *args, **kwargs)

    def form_invalid(self, form):
        if self.count_failures_only:
            wait = throttle.attempt_record(
                scope=self.throttle_scope, request=self.request, account=self._account()
            )
            if wait:
                return self.locked(wait)
        return super().form_invalid(form)

    def locked(self, seconds: int) -> HttpResponse:
        kwargs = self.get_form_kwargs()
        kwargs.pop("data", None)
        kwargs.pop("files", None)
        if self.account_field in self.get_form_class().base_fields:
            kwargs["initial"] = {**kwargs.get("initial", {}), self.account_field: self._account()}
        context = self.get_context_data(
            form=self.get_form_class()(**kwargs), lockout=throttle.lockout_message(seconds)
        )
        return _locked(self.render_to_response(context), seconds)


class LoginView(CredentialThrottleMixin, auth_views.LoginView):
    throttle_scope = throttle.LOGIN
    account_field = "username"  # Django's name for the login field: here, the email
    count_failures_only = True

    def form_valid(self, form):
        throttle.attempts_clear(scope=self.throttle_scope, account=self._account())
        return super().form_valid(form)


class PasswordResetView(CredentialThrottleMixin, auth_views.PasswordResetView):
    throttle_scope = throttle.PASSWORD_RESET


class PasswordChangeView(CredentialThrottleMixin, auth_views.PasswordChangeView):
    """A wrong current password counts as a failed log-in of the account (a stolen session
    must not guess it without limit)."""

    throttle_scope = throttle.LOGIN
    count_failures_only = True

    def _account(self) -> str:
        return self.request.user.email

    def form_invalid(self, form):
        if "old_password" not in form.errors:  # a typo in the new one is not a guess
            return super(CredentialThrottleMixin, self).form_invalid(form)
        return super().form_invalid(form)


def signup(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect("dashboard")
    if request.method == "POST":
        account = request.POST.get("email", "")
        wait = throttle.locked_for(scope=throttle.SIGNUP, request=request, account=account)
        if wait:
            context = {
                "form": SignUpForm(initial={"email": account}),
                "lockout": throttle.lockout_message(wait),
            }
            return _locked(render(request, "accounts/signup.html", context), wait)
        throttle.attempt_record(scope=throttle.SIGNUP, request=request, account=account)
    form = SignUpForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = user_create(
            email=form.cleaned_data["email"],
            password=form.cleaned_data["password1"],
            name=form.cleaned_data["name"],
            base_currency=form.cleaned_data["base_currency"],
        )
        lifecycle.verification_send(
            user=user, email=user.email, link_for=lifecycle.links_from(request)
        )
        login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        messages.success(
            request,
            "Welcome to Portfolia. Your account is ready; we mailed you a link to confirm "
            "your address.",
        )
        return redirect("dashboard")
    return render(request, "accounts/signup.html", {"form": form})


@login_required
def profile(request: HttpRequest) -> HttpResponse:
    form = ProfileForm(request.POST or None, instance=request.user)
    if request.method == "POST" and form.is_valid():
        user_update(
            user=request.user,
            name=form.cleaned_data["name"],
            base_currency=form.cleaned_data["base_currency"],
        )
        messages.success(request, "Profile saved.")
        return redirect("profile")
    return render(request, "accounts/profile.html", {"form": form})


@login_required
def api_keys(request: HttpRequest) -> HttpResponse:
    """The user's API keys; a POST makes one and shows it, this once (no redirect: the key is
    never stored anywhere it could be shown again)."""
    form = ApiKeyForm(request.POST or None)
    created = None
    if request.method == "POST" and form.is_valid():
        try:
            api_key, key = api_key_create(
                user=request.user,
                name=form.cleaned_data["name"],
                scope=form.cleaned_data["scope"],
                expires_at=form.expires_at(),
            )
        except ValidationError as error:
            form.add_error(None, error.messages)
        else:
            created = {"api_key": api_key, "key": key}
            form = ApiKeyForm()
    context = {
        "form": form,
        "created": created,
        "api_keys": selectors.api_keys_for_user(request.user),
    }
    return render(request, "accounts/api_keys.html", context)


@login_required
@require_POST
def api_key_revoke_view(request: HttpRequest, key_id: uuid.UUID) -> HttpResponse:
    api_key = api_key_revoke(api_key=selectors.api_key_get_for_user(request.user, key_id))
    messages.success(request, f"API key “{api_key.name}” revoked.")
    return redirect("api-keys")


ACTIVITY_PER_PAGE = 50


@login_required
@require_GET
def activity(request: HttpRequest) -> HttpResponse:
    """The audit log of the user's own data, newest first, paged."""
    entries = selectors.audit_entries_for_user(request.user)
    page = Paginator(entries, ACTIVITY_PER_PAGE).get_page(request.GET.get("page"))
    rows = [(entry, change_rows(entry)) for entry in page.object_list]
    return render(request, "accounts/activity.html", {"page": page, "rows": rows})


def change_rows(entry) -> list[tuple[str, object, object]]:
    """An entry's change as (field, before, after) rows; a side it lacks shows as None."""
    before, after = entry.before or {}, entry.after or {}
    names = [*before, *(name for name in after if name not in before)]
    return [(name, before.get(name), after.get(name)) for name in names]


def email_verify(request: HttpRequest, token: str) -> HttpResponse:
    """The mailed link: GET shows what it confirms (mail scanners follow links; they must not
    confirm), the button POSTs. Needs no log-in: the token is the proof."""
    try:
        user, email = lifecycle.verification_preview(token)
        if request.method == "POST":
            lifecycle.email_verify(token=token)
            messages.success(request, f"{email} confirmed.")
            return redirect("profile" if request.user.is_authenticated else "login")
    except lifecycle.TokenInvalid as error:
        return render(request, "accounts/email_verify.html", {"error": str(error)}, status=400)
    return render(
        request, "accounts/email_verify.html", {"email": email, "changing": user.email != email}
    )


@login_required
@require_POST
def email_verify_resend(request: HttpRequest) -> HttpResponse:
    lifecycle.verification_send(
        user=request.user, email=request.user.email, link_for=lifecycle.links_from(request)
    )
    messages.success(request, f"We mailed a new link to {request.user.email}.")
    return redirect("profile")


@login_required
def email_change(request: HttpRequest) -> HttpResponse:
    """Ask for a new address: a link goes there, the account moves when it is followed."""
    form = EmailChangeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            email = lifecycle.email_change_request(
                user=request.user,
                email=form.cleaned_data["email"],
                password=form.cleaned_data["password"],
                link_for=lifecycle.links_from(request),
            )
        except ValidationError as error:
            form_apply_errors(form, error)
        else:
            messages.success(request, f"We mailed a link to {email}; follow it to switch.")
            return redirect("profile")
    return render(request, "accounts/email_change.html", {"form": form})


@login_required
def account_delete(request: HttpRequest) -> HttpResponse:
    """Delete the account and everything of its owner's, after the password again."""
    form = AccountDeleteForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            lifecycle.user_delete(user=request.user, password=form.cleaned_data["password"])
        except ValidationError as error:
            form_apply_errors(form, error)
        else:
            logout(request)
            messages.success(request, "Your account and all its data are deleted.")
            return redirect("login")
    return render(request, "accounts/account_delete.html", {"form": form})
