"""Load on the embedded default: web, Celery worker and beat sharing one SQLite file.

Drives a running `make run` (SQLite, filesystem broker) from outside, as people would: two
readers open the dashboard, an overview and a performance page over and over; a writer records
buys of assets nobody held yet over the API (each starts a backfill in the worker); a staff
session presses "Refresh now" on the data-status page (a refresh job per held asset). Then it
waits (at most --wait seconds) until no job is queued or running and prints the HTTP answers,
the page latencies and how the jobs ended. Every loop is bounded; it only talks to --base.

    make run                      # in another terminal, on a fresh clone
    .venv/bin/python bench/embedded_load.py --staff   # --staff makes the demo user staff first

Exits non-zero when any answer was a 5xx or any job did not succeed.
"""

from __future__ import annotations

import argparse
import http.cookiejar
import json
import re
import statistics
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
EMAIL, PASSWORD = "demo@portfolia.local", "demo-portfolia-2026"
# Catalogue symbols the demo portfolios do not hold: each first buy starts a backfill.
NEW_SYMBOLS = [
    "NVDA",
    "AMZN",
    "GOOGL",
    "META",
    "BRK-B",
    "JPM",
    "JNJ",
    "XOM",
    "PG",
    "ASML.AS",
    "SIE.DE",
    "MC.PA",
    "NESN.SW",
    "NOVO-B.CO",
    "SHEL.L",
    "HSBA.L",
    "AZN.L",
    "7203.T",
    "0700.HK",
    "RY.TO",
]


class Client:
    def __init__(self, base: str) -> None:
        self.base = base
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))
        self.answers: list[tuple[int, str, float]] = []
        self.lock = threading.Lock()

    def _note(self, status: int, what: str, started: float) -> None:
        with self.lock:
            self.answers.append((status, what, time.perf_counter() - started))

    def open(self, path: str, data: bytes | None = None, headers: dict | None = None) -> str:
        request = urllib.request.Request(self.base + path, data, headers=headers or {})
        started = time.perf_counter()
        try:
            with self.opener.open(request, timeout=60) as response:
                body = response.read().decode()
                self._note(response.status, path, started)
                return body
        except urllib.error.HTTPError as error:
            self._note(error.code, path, started)
            return error.read().decode()

    def log_in(self) -> None:
        page = self.open("/accounts/login/")
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
        form = {"csrfmiddlewaretoken": token, "username": EMAIL, "password": PASSWORD}
        self.post_form("/accounts/login/", form)

    def post_form(self, path: str, form: dict) -> str:
        headers = {"Referer": self.base + path}
        return self.open(path, urllib.parse.urlencode(form).encode(), headers)

    def csrf(self) -> str:
        return next(cookie.value for cookie in self.jar if cookie.name == "csrftoken")


def api(client: Client, token: str, method: str, path: str, body: dict | None = None):
    request = urllib.request.Request(
        client.base + path,
        json.dumps(body).encode() if body is not None else None,
        method=method,
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )
    started = time.perf_counter()
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            client._note(response.status, path, started)
            return json.loads(response.read() or b"null")
    except urllib.error.HTTPError as error:
        client._note(error.code, path, started)
        return None


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base", default="http://127.0.0.1:8000")
    parser.add_argument("--rounds", type=int, default=30, help="page rounds per reader")
    parser.add_argument("--wait", type=int, default=180, help="seconds to wait for the jobs")
    parser.add_argument("--staff", action="store_true", help="make the demo user staff first")
    args = parser.parse_args()
    if not args.base.startswith(("http://127.", "http://localhost", "http://[::1]")):
        parser.error("--base must be a loopback address")
    if args.staff:
        code = (
            "from accounts.models import User; "
            f"User.objects.filter(email={EMAIL!r}).update(is_staff=True)"
        )
        subprocess.run(
            [sys.executable, "manage.py", "shell", "-c", code],
            cwd=ROOT,
            check=True,
            env={**__import__("os").environ, "DEBUG": "1"},
        )

    staff = Client(args.base)
    staff.log_in()
    token_body = json.dumps({"email": EMAIL, "password": PASSWORD}).encode()
    token = json.loads(
        urllib.request.urlopen(
            urllib.request.Request(
                args.base + "/api/v1/auth/token/",
                token_body,
                headers={"Content-Type": "application/json"},
            ),
            timeout=60,
        ).read()
    )["access"]
    portfolios = api(staff, token, "GET", "/api/v1/portfolios/")["results"]
    portfolio = next(p for p in portfolios if p["name"] == "Growth & Income")["id"]
    readers = [Client(args.base) for _ in range(2)]
    for reader in readers:
        reader.log_in()

    def read(client: Client) -> None:
        for _ in range(args.rounds):
            for path in ("/", f"/portfolios/{portfolio}/", f"/portfolios/{portfolio}/performance/"):
                client.open(path)

    def write() -> None:
        for i in range(2 * len(NEW_SYMBOLS)):
            body = {
                "kind": "buy",
                "symbol": NEW_SYMBOLS[i % len(NEW_SYMBOLS)],
                "date": f"2025-06-{2 + i % 25:02d}",
                "quantity": "1",
                "price": "10",
            }
            api(staff, token, "POST", f"/api/v1/portfolios/{portfolio}/transactions/", body)

    def refresh() -> None:
        for _ in range(3):
            staff.post_form("/assets/status/", {"csrfmiddlewaretoken": staff.csrf()})
            time.sleep(5)

    started = time.perf_counter()
    threads = [threading.Thread(target=read, args=(reader,)) for reader in readers]
    threads += [threading.Thread(target=write), threading.Thread(target=refresh)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    load_seconds = time.perf_counter() - started

    deadline = time.monotonic() + args.wait
    jobs: list[dict] = []
    while True:
        jobs, page = [], 1
        while True:
            answer = api(staff, token, "GET", f"/api/v1/jobs/?page_size=500&page={page}")
            jobs += answer["results"]
            if not answer.get("next"):
                break
            page += 1
        active = [job for job in jobs if job["status"] in ("queued", "running")]
        if not active or time.monotonic() > deadline:
            break
        time.sleep(2)
    jobs_seconds = time.perf_counter() - started

    answers = [a for client in (staff, *readers) for a in client.answers]
    pages = sorted(seconds for status, path, seconds in answers if not path.startswith("/api/"))
    statuses = Counter(status for status, _path, _seconds in answers)
    outcomes = Counter((job["kind"], job["status"]) for job in jobs)
    print(f"load: {len(answers)} answers in {load_seconds:.1f} s: {dict(sorted(statuses.items()))}")
    print(
        f"pages: {len(pages)}, median {statistics.median(pages) * 1000:.0f} ms, "
        f"p95 {pages[int(len(pages) * 0.95) - 1] * 1000:.0f} ms, max {pages[-1] * 1000:.0f} ms"
    )
    print(f"jobs after {jobs_seconds:.0f} s: {dict(sorted(outcomes.items()))}")
    for job in jobs:
        if job["status"] != "succeeded":
            print("  not succeeded:", job["symbol"], job["kind"], job["status"], job.get("error"))
    failed = any(status >= 500 for status in statuses) or any(
        job["status"] != "succeeded" for job in jobs
    )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
