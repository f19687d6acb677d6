"""POST /api/v1/strategies/weights/: weights from stored closes and market caps, the inputs
used, no look-ahead, every refusal a 400, and another user's manual asset out of reach.

The closes are the engine test's covariance fixture (see test_strategies_engine.py) on the
business days Monday 1 to Friday 5 January 2024.
"""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal

import pytest
from django.utils import timezone

from market.models import Asset
from market.tests.factories import ManualAssetFactory
from portfolios.tests.factories import AssetFactory, FxAssetFactory, PortfolioFactory, prices
from portfolios.tests.test_strategies_engine import U1, U2, U3, closes_from_returns

pytestmark = pytest.mark.django_db

URL = "/api/v1/strategies/weights/"
MONDAY = dt.date(2024, 1, 1)
FRIDAY = dt.date(2024, 1, 5)
# The recorded Yahoo quoteSummary answers (market/tests/fixtures/yahoo/).
AAPL_CAP = Decimal(4869931925504)
BTC_CAP = Decimal(1699590569984)


@pytest.fixture
def trio():
    """A, B and C with Σ = k [[1, 0, 1], [0, 4, 0], [1, 0, 2]] over 4 daily returns."""
    closes = closes_from_returns(0.01 * U1, 0.02 * U2, 0.01 * U1 + 0.01 * U3)
    assets = [AssetFactory(symbol=symbol) for symbol in ("AAA", "BBB", "CCC")]
    for column, asset in enumerate(assets):
        prices(
            asset,
            {MONDAY + dt.timedelta(days=row): float(closes[row, column]) for row in range(5)},
        )
    return assets


def body(assets, method, **params):
    return {"assets": [str(asset.public_id) for asset in assets], "method": method, **params}


def weights_of(response) -> list[Decimal]:
    return [Decimal(row["weight"]) for row in response.json()["weights"]]


def test_risk_parity_weights_come_with_their_inputs(auth_client, trio):
    response = auth_client.post(
        URL, body(trio, "risk_parity", window=4, as_of="2024-01-05"), format="json"
    )

    assert response.status_code == 200, response.json()
    data = response.json()
    # The engine test's hand-worked answer: (√2, √(2 + √2)/2, 1) / 3.3380931.
    assert [float(w) for w in weights_of(response)] == pytest.approx(
        [0.4236591, 0.2767687, 0.2995722], abs=1e-7
    )
    assert sum(weights_of(response)) == Decimal(1)  # exactly, as decimal strings
    assert [row["symbol"] for row in data["weights"]] == ["AAA", "BBB", "CCC"]
    inputs = data["inputs"]
    assert (inputs["window"], inputs["observations"]) == (4, 4)
    assert (inputs["first_day"], inputs["last_day"], data["as_of"]) == (
        "2024-01-01",
        "2024-01-05",
        "2024-01-05",
    )
    assert inputs["converged"] is True and inputs["tolerance"] == "0.0000000001"
    shares = [float(row["risk_contribution"]) for row in inputs["assets"]]
    assert shares == pytest.approx([1 / 3] * 3, abs=1e-9)
    # s_A = √(1e-4 · 4/3) · √252 = 0.1833030 (annualised).
    assert float(inputs["assets"][0]["volatility"]) == pytest.approx(0.1833030, abs=1e-6)


def test_closes_after_as_of_do_not_change_the_weights(auth_client, trio):
    request = body(trio, "inverse_volatility", window=4, as_of="2024-01-05")
    before = auth_client.post(URL, request, format="json").json()
    prices(trio[0], {dt.date(2024, 1, 8): 1.0, dt.date(2024, 1, 9): 900.0})

    after = auth_client.post(URL, request, format="json").json()

    assert after == before
    # w ∝ (1, 1/2, 1/√2) / 2.2071068.
    assert [float(row["weight"]) for row in after["weights"]] == pytest.approx(
        [0.4530818, 0.2265409, 0.3203773], abs=1e-7
    )


def test_equal_weights_add_up_to_exactly_one(auth_client, trio):
    response = auth_client.post(URL, body(trio, "equal"), format="json")

    # 1/3 at ten places: 0.3333333333 x 3 = 0.9999999999; the unit left goes to the first.
    assert [row["weight"] for row in response.json()["weights"]] == [
        "0.3333333334",
        "0.3333333333",
        "0.3333333333",
    ]


def test_a_cap_spreads_the_excess(auth_client, trio):
    response = auth_client.post(
        URL,
        body(trio, "inverse_volatility", window=4, as_of="2024-01-05", cap="0.4"),
        format="json",
    )

    # (0.4530818, 0.2265409, 0.3203773) capped at 0.4: A's 0.0530818 goes to B and C in the
    # ratio 0.5 : 0.7071068, B's share 0.5 / 1.7071068 = 0.4142136: B + 0.0219872 = 0.2485281,
    # C + 0.0310946 = 0.3514719.
    assert [float(w) for w in weights_of(response)] == pytest.approx(
        [0.4, 0.2485281, 0.3514719], abs=1e-7
    )
    rows = response.json()["inputs"]["assets"]
    assert float(rows[0]["uncapped_weight"]) == pytest.approx(0.4530818, abs=1e-7)
    assert response.json()["inputs"]["cap"] == "0.4000000000"


def test_market_cap_weights_use_the_recorded_caps(auth_client):
    aapl = AssetFactory(symbol="AAPL")
    btc = AssetFactory(symbol="BTC-USD", asset_class="crypto")
    now = timezone.now()
    Asset.objects.filter(pk=aapl.pk).update(market_cap=AAPL_CAP, market_cap_at=now)
    Asset.objects.filter(pk=btc.pk).update(market_cap=BTC_CAP, market_cap_at=now)

    response = auth_client.post(URL, body([aapl, btc], "market_cap"), format="json")

    assert response.status_code == 200, response.json()
    # 4869931925504 / (4869931925504 + 1699590569984 = 6569522495488) = 0.7412916 (6569522495488 x 0.74 = 4861446646661, and the
    # remaining 8485278843 is 0.0012916 of the total)
    assert [float(w) for w in weights_of(response)] == pytest.approx(
        [float(AAPL_CAP / (AAPL_CAP + BTC_CAP)), float(BTC_CAP / (AAPL_CAP + BTC_CAP))],
        abs=1e-9,
    )
    assert float(weights_of(response)[0]) == pytest.approx(0.7412916, abs=1e-7)
    inputs = response.json()["inputs"]
    assert inputs["market_cap_currency"] == "USD"
    assert inputs["assets"][0]["market_cap"] == "4869931925504.00"


def test_a_foreign_market_cap_converts_into_the_base_currency(auth_client):
    usd = AssetFactory(symbol="US1")
    eur = AssetFactory(symbol="EU1", currency="EUR")
    pair = FxAssetFactory()
    today = timezone.localdate()
    prices(pair, {today - dt.timedelta(days=3): 1.25})
    now = timezone.now()
    Asset.objects.filter(pk=usd.pk).update(market_cap=Decimal(150), market_cap_at=now)
    Asset.objects.filter(pk=eur.pk).update(market_cap=Decimal(40), market_cap_at=now)

    response = auth_client.post(URL, body([usd, eur], "market_cap"), format="json")

    # EUR 40 x 1.25 USD per EUR = USD 50; 150 / 200 and 50 / 200.
    assert weights_of(response) == [Decimal("0.75"), Decimal("0.25")]
    assert response.json()["inputs"]["assets"][1]["market_cap"] == "50.00"


def test_a_missing_market_cap_is_named_and_requested(auth_client, monkeypatch):
    requested = []
    monkeypatch.setattr(
        "market.services.refresh_request",
        lambda *, asset_ids, closes: requested.append((asset_ids, closes)),
    )
    aapl = AssetFactory(symbol="AAPL")
    spy = AssetFactory(symbol="SPY", asset_class="etf")
    Asset.objects.filter(pk=aapl.pk).update(market_cap=AAPL_CAP, market_cap_at=timezone.now())

    response = auth_client.post(URL, body([aapl, spy], "market_cap"), format="json")

    assert response.status_code == 400
    message = response.json()["error"]["message"]
    assert message.startswith("No market cap is known for: SPY.")
    assert "requested from the data provider" in message
    assert requested == [([spy.pk], False)]


def test_momentum_ranks_with_the_skip(auth_client):
    # Six business days: Mon 1 .. Mon 8 January; window 5, skip 1: row 4 (Fri 5) over row 0.
    rows = {
        "AAA": [100, 101, 103, 106, 110, 50],  # +10 %, then a crash the skip leaves out
        "BBB": [100, 105, 110, 115, 120, 200],  # +20 %
        "CCC": [100, 99, 98, 97, 95, 95],  # -5 %: never held
    }
    days = [MONDAY + dt.timedelta(days=n) for n in (0, 1, 2, 3, 4, 7)]
    assets = []
    for symbol, closes in rows.items():
        asset = AssetFactory(symbol=symbol)
        prices(asset, dict(zip(days, map(float, closes), strict=True)))
        assets.append(asset)

    response = auth_client.post(
        URL,
        body(
            assets,
            "momentum",
            window=5,
            skip=1,
            top_n=3,
            weighting="proportional",
            as_of="2024-01-08",
        ),
        format="json",
    )

    # 0.10 and 0.20 of 0.30: 1/3 and 2/3; CCC 0.
    assert response.status_code == 200, response.json()
    assert [float(w) for w in weights_of(response)] == pytest.approx([1 / 3, 2 / 3, 0], abs=1e-9)
    inputs = response.json()["inputs"]
    assert [row["selected"] for row in inputs["assets"]] == [True, True, False]
    assert inputs["momentum_end"] == "2024-01-05"


def test_a_users_own_manual_asset_can_be_weighted(auth_client, user):
    mine = ManualAssetFactory(owner=user, symbol="MINE")
    other = AssetFactory(symbol="AAPL")

    response = auth_client.post(URL, body([mine, other], "equal"), format="json")

    assert response.status_code == 200
    assert weights_of(response) == [Decimal("0.5"), Decimal("0.5")]


def test_another_users_manual_asset_is_unknown(auth_client, other_user):
    theirs = ManualAssetFactory(owner=other_user, symbol="THEIRS")

    response = auth_client.post(URL, body([theirs], "equal"), format="json")

    assert response.status_code == 400
    assert response.json()["error"]["message"] == f"No such asset: {theirs.public_id}."
    assert "THEIRS" not in str(response.json())


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"method": "magic"}, "method"),
        ({"method": "equal\x00"}, "method"),
        ({"assets": []}, "assets"),
        ({"assets": "AAA"}, "assets"),
        ({"assets": ["not-a-uuid"]}, "assets"),
        ({"assets": [str(uuid.uuid4())]}, "assets"),
        ({"method": "risk_parity", "window": 1}, "window"),
        ({"method": "risk_parity", "window": 10**20}, "window"),
        ({"method": "risk_parity", "window": 2521}, "window"),
        ({"method": "risk_parity", "window": "ten"}, "window"),
        ({"method": "risk_parity", "window": 30}, "window"),  # longer than the history
        ({"cap": "0.2"}, "cap"),  # 3 x 0.2 < 1: infeasible
        ({"cap": "1.5"}, "cap"),
        ({"cap": "NaN"}, "cap"),
        ({"cap": "1e400"}, "cap"),
        ({"weighting": "equal"}, "weighting"),  # a momentum parameter for equal weights
        ({"as_of": "2999-01-01"}, "as_of"),
        ({"as_of": "1066-10-14"}, "as_of"),
        ({"as_of": "2024-02-30"}, "as_of"),
        ({"colour": "blue"}, "colour"),
    ],
)
def test_bad_input_is_a_400_naming_the_field(auth_client, trio, change, field):
    request = {**body(trio, "equal", as_of="2024-01-05"), **change}

    response = auth_client.post(URL, request, format="json")

    assert response.status_code == 400, response.json()
    assert field in response.json()["error"]["fields"], response.json()


def test_a_repeated_asset_is_refused(auth_client, trio):
    response = auth_client.post(URL, body([trio[0], trio[0]], "equal"), format="json")

    assert response.status_code == 400
    assert "twice" in response.json()["error"]["message"]


def test_an_asset_without_enough_closes_is_named(auth_client, trio):
    late = AssetFactory(symbol="LATE")
    prices(late, {FRIDAY: 10.0})

    response = auth_client.post(
        URL, body([*trio, late], "risk_parity", window=4, as_of="2024-01-05"), format="json"
    )

    assert response.status_code == 400
    assert response.json()["error"]["message"] == (
        "No close on or before 2024-01-01 (the window's first day) for: LATE."
    )


def test_a_flat_body_and_anonymous_requests_are_refused(api_client, auth_client):
    assert api_client.post(URL, {"assets": [], "method": "equal"}, format="json").status_code == 401
    assert auth_client.post(URL, "[1, 2]", content_type="application/json").status_code == 400
    assert auth_client.get(URL).status_code == 405


def test_the_schema_documents_the_endpoint(auth_client):
    schema = auth_client.get("/api/schema/?format=json").json()

    operation = schema["paths"]["/api/v1/strategies/weights/"]["post"]
    assert "400" in operation["responses"]
    answer = schema["components"]["schemas"]["StrategyResponse"]
    assert set(answer["properties"]) == {"method", "as_of", "weights", "inputs"}
    inputs = schema["components"]["schemas"]["StrategyInputs"]["properties"]
    assert {"window", "tolerance", "converged", "assets", "market_cap_currency"} <= set(inputs)


def test_weights_used_as_targets_are_points_adding_up_to_exactly_100(auth_client, user, trio):
    portfolio = PortfolioFactory(owner=user)
    response = auth_client.post(
        f"/api/v1/portfolios/{portfolio.public_id}/targets/from-strategy/",
        body(trio, "risk_parity", window=4, as_of="2024-01-05"),
        format="json",
    )
    assert response.status_code == 200, response.json()
    # The risk-parity weights (first test) 0.42365911, 0.27676865, 0.29957223 in points with
    # four places: the floors 42.3659 + 27.6768 + 29.9572 = 99.9999, and the step left goes to
    # the largest remainder (B's 0.65 of a step, against A's 0.11 and C's 0.23).
    weights = {row["symbol"]: Decimal(row["weight"]) for row in response.json()["results"]}
    assert weights == {
        "AAA": Decimal("42.3659"),
        "BBB": Decimal("27.6769"),
        "CCC": Decimal("29.9572"),
    }
    assert sum(t.weight for t in portfolio.targets.all()) == 100


def test_weights_cannot_become_the_targets_of_another_users_portfolio(
    auth_client, other_user, trio
):
    portfolio = PortfolioFactory(owner=other_user)
    response = auth_client.post(
        f"/api/v1/portfolios/{portfolio.public_id}/targets/from-strategy/",
        body(trio, "equal"),
        format="json",
    )
    assert response.status_code == 404
    assert not portfolio.targets.exists()


def test_a_strategy_refusal_sets_no_targets(auth_client, user, trio):
    portfolio = PortfolioFactory(owner=user)
    response = auth_client.post(
        f"/api/v1/portfolios/{portfolio.public_id}/targets/from-strategy/",
        body(trio, "risk_parity", window=40, as_of="2024-01-05"),  # 4 returns, not 40
        format="json",
    )
    assert response.status_code == 400
    assert not portfolio.targets.exists()


def test_closes_are_business_days_carried_over_holidays_and_never_after_as_of():
    from portfolios.selectors.strategy_inputs import strategy_closes

    coin = AssetFactory(symbol="COIN", asset_class="crypto")
    # Wednesday 3 January is missing (a holiday), Saturday 6 trades (crypto), Monday 8 is
    # after the as-of date.
    prices(
        coin,
        {
            MONDAY: 100.0,
            dt.date(2024, 1, 2): 101.0,
            dt.date(2024, 1, 4): 103.0,
            dt.date(2024, 1, 6): 110.0,
            dt.date(2024, 1, 8): 999.0,
        },
    )

    days, closes = strategy_closes(assets=[coin], as_of=dt.date(2024, 1, 7), rows=5)

    # Mon..Fri only (Saturday's close is no row; it reaches Monday's row, not read here);
    # Wednesday repeats Tuesday's 101 and Friday Thursday's 103; nothing of 8 January.
    assert [str(day) for day in days[-5:]] == [
        "2024-01-01",
        "2024-01-02",
        "2024-01-03",
        "2024-01-04",
        "2024-01-05",
    ]
    assert closes[-5:, 0].tolist() == [100.0, 101.0, 101.0, 103.0, 103.0]


def test_a_window_beyond_the_bound_from_a_direct_caller_is_refused_not_a_crash(user, trio):
    from portfolios.errors import StrategyInputError
    from portfolios.selectors.strategy_inputs import strategy_weights_for

    with pytest.raises(StrategyInputError, match="Needs"):
        strategy_weights_for(
            user=user,
            asset_ids=[asset.public_id for asset in trio],
            method="risk_parity",
            params={"window": 10**9},
            as_of=FRIDAY,
        )
