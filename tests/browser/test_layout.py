"""Pages as a person sees them, at a laptop's 1366 px and a phone's 390 px: key figures with
five- and six-digit amounts stay inside their cards, and on a phone the import preview shows why
a row is refused without scrolling sideways."""

import datetime as dt

import pytest
from django.utils import timezone

from accounts.tests.factories import PASSWORD, UserFactory
from portfolios.models import Portfolio
from portfolios.tests.performance_builders import asset, business_days, portfolio, txn

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Elements of a card (or of a dashboard figure) whose right edge passes the card's.
OVERFLOWING = """() => [...document.querySelectorAll('.cards article, .portfolio-card')]
  .filter(card => card.scrollWidth > card.clientWidth + 1 || [...card.querySelectorAll('*')].some(
    element => element.getBoundingClientRect().right > card.getBoundingClientRect().right + 1
      || (element.clientWidth > 0 && element.scrollWidth > element.clientWidth + 1)))
  .map(card => card.innerText.replace(/\\s+/g, ' ').slice(0, 60))"""


@pytest.fixture
def investor(monkeypatch):
    monkeypatch.setattr("market.services.benchmark_history_request", lambda **kwargs: None)
    user = UserFactory(email="layout@example.com")
    today = timezone.localdate()
    start = today - dt.timedelta(days=400)
    days = business_days(start - dt.timedelta(days=7), today)
    pf = portfolio(owner=user, name="Euro Core", base_currency="EUR")
    world = asset("VWCE.DE", "EUR", name="World ETF", closes=dict.fromkeys(days, 128.53))
    rich = asset("BRK-A", "EUR", name="Big Ticket", closes=dict.fromkeys(days, 612345.67))
    txn(pf, "buy", start, world, quantity=221, price=97.21, fee=1)
    txn(pf, "buy", start, rich, quantity=1, price=598_765.43, fee=1)
    txn(pf, "sell", start + dt.timedelta(days=30), world, quantity=1, price=99, fee=1)
    return user, pf


def log_in(page, user):
    page.goto("/accounts/login/")
    page.get_by_label("Email address").fill(user.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.locator("main").get_by_role("button", name="Log in").click()
    page.wait_for_url("**/")


def test_figures_stay_in_their_cards_and_the_phone_preview_says_why(
    page, screenshot, investor, tmp_path
):
    user, pf = investor
    log_in(page, user)
    for width in (1366, 390):
        page.set_viewport_size({"width": width, "height": 900})
        for path in (
            "/",
            f"/portfolios/{pf.public_id}/",
            f"/portfolios/{pf.public_id}/performance/",
        ):
            page.goto(path)
            assert page.locator(".cards article, .portfolio-card").count() > 0
            assert page.evaluate(OVERFLOWING) == [], f"{path} at {width} px"
    screenshot("layout-overview-phone")

    upload = tmp_path / "rows.csv"
    upload.write_text(
        "date,kind,symbol,quantity,price,amount,ratio,fee,currency,fx_rate,note,external_id\n"
        f"{timezone.localdate().isoformat()},sell,VWCE.DE,5000,100,,,,,,,\n"
    )
    page.goto(f"/portfolios/{pf.public_id}/transactions/import/")
    page.set_input_files("input[type=file]", str(upload))
    page.locator("form.pf-form").get_by_role("button", name="Preview").click()
    reason = page.locator(".import-row .problem-inline")
    reason.wait_for()
    assert "exceeds the 220 held" in reason.inner_text()
    box = reason.bounding_box()
    assert box is not None and box["x"] + box["width"] <= 390
    assert not page.locator(".import-row td.problem").is_visible()  # the column is off-screen
    screenshot("layout-import-preview-phone")


# Elements that reach past the phone's width outside a box that scrolls on its own.
PAST_THE_EDGE = """() => { const width = document.documentElement.clientWidth;
  return [...document.querySelectorAll('main *')]
    .filter(el => el.getBoundingClientRect().right > width + 1
      && !el.closest('.table-wrap, .scroll-x, .strategy-asset-list'))
    .map(el => el.tagName + '.' + el.className).slice(0, 5); }"""


def test_no_page_scrolls_sideways_on_a_phone(page, investor):
    user, pf = investor
    holding = pf.transactions.filter(kind="buy").first().asset
    # A long name in the net-worth table, and enough priced assets to fill the strategies
    # page's list past one column.
    Portfolio.objects.filter(pk=pf.pk).update(name="Growth, Income and Everything Else")
    days = business_days(timezone.localdate() - dt.timedelta(days=30), timezone.localdate())
    for n in range(24):
        asset(
            f"LONGSYMBOL{n:02}.DE",
            "EUR",
            name=f"A Rather Long Fund Name {n}",
            closes=dict.fromkeys(days, 10.0),
        )
    log_in(page, user)
    page.set_viewport_size({"width": 390, "height": 900})
    for path in (
        "/",
        "/net-worth/",
        f"/portfolios/{pf.public_id}/",
        f"/portfolios/{pf.public_id}/holdings/{holding.public_id}/",
        f"/portfolios/{pf.public_id}/performance/",
        f"/portfolios/{pf.public_id}/targets/",
        f"/portfolios/{pf.public_id}/transactions/import/",
        "/strategies/",
        "/simulations/",
        "/accounts/profile/",
        "/accounts/activity/",
        "/accounts/api-keys/",
    ):
        page.goto(path)
        assert page.evaluate("document.documentElement.scrollWidth") <= 390, path
        assert page.evaluate(PAST_THE_EDGE) == [], path
    # Every asset of the strategies page's list can be reached (scrolled to) on the phone.
    page.goto("/strategies/")
    last = page.locator(".strategy-asset-list label").last
    last.scroll_into_view_if_needed()
    box = last.bounding_box()
    assert box is not None and box["x"] >= 0 and box["x"] + 20 <= 390
