"""Security headers on every response (the CSP of portfolia.csp beside Django's HSTS, frame
denial, nosniff and referrer policy), and the CSRF token every unsafe HTMX request carries."""

import json
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client, override_settings

from portfolia.csp import policy

pytestmark = pytest.mark.django_db

TEMPLATES = Path(settings.BASE_DIR) / "templates"
UNSAFE_HX = re.compile(r"\bhx-(post|put|patch|delete)=")


def test_the_policy_allows_no_inline_script_or_style_and_no_framing():
    value = policy(settings.CONTENT_SECURITY_POLICY)
    assert "script-src 'self';" in value and "style-src 'self';" in value
    assert "unsafe-inline" not in value and "unsafe-eval" not in value
    assert "frame-ancestors 'none'" in value and "object-src 'none'" in value


@pytest.mark.parametrize("path", ["/accounts/login/", "/api/v1/portfolios/", "/no-such-page/"])
def test_every_response_carries_the_policy_and_djangos_headers(client, path):
    response = client.get(path)
    assert response["Content-Security-Policy"] == policy(settings.CONTENT_SECURITY_POLICY)
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"


@override_settings(SECURE_HSTS_SECONDS=31_536_000, SECURE_HSTS_INCLUDE_SUBDOMAINS=True)
def test_https_responses_carry_hsts(client):
    response = client.get("/accounts/login/", secure=True)
    assert response["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"


def test_no_template_has_inline_script_or_style():
    """json_script blocks (type="application/json") are data and allowed; nothing else."""
    found = []
    for path in TEMPLATES.rglob("*.html"):
        text = path.read_text()
        for tag in re.findall(r"<script\b[^>]*>", text):
            if "src=" not in tag:
                found.append(f"{path.name}: {tag}")
        if re.search(r"<style\b|\sstyle=|\son[a-z]+=\"", text):
            found.append(f"{path.name}: inline style or handler")
    assert found == []


def test_every_template_with_an_unsafe_htmx_request_inherits_the_csrf_header():
    """hx-headers on <body> (base.html) is inherited by every element; a template issuing an
    unsafe request extends base.html, or is a partial (_name) that one of those includes."""
    assert 'hx-headers=\'{"X-CSRFToken": "{{ csrf_token }}"}\'' in (
        (TEMPLATES / "base.html").read_text()
    )
    texts = {p.relative_to(TEMPLATES).as_posix(): p.read_text() for p in TEMPLATES.rglob("*.html")}
    pages = {name for name, text in texts.items() if '{% extends "base.html" %}' in text}
    unsafe = [name for name, text in texts.items() if UNSAFE_HX.search(text)]
    assert unsafe  # the check looks at something
    for name in unsafe:
        included = any(f'"{name}"' in texts[page] for page in pages)
        assert name in pages or (Path(name).name.startswith("_") and included), name


def test_an_unsafe_htmx_request_passes_with_the_pages_token_and_fails_without(user):
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    html = client.get("/accounts/profile/").content.decode()
    headers = json.loads(re.search(r"<body hx-headers='([^']+)'", html).group(1))
    refused = client.post("/accounts/email/verify/resend/", headers={"HX-Request": "true"})
    assert refused.status_code == 403
    sent = client.post("/accounts/email/verify/resend/", headers={"HX-Request": "true", **headers})
    assert sent.status_code == 302
