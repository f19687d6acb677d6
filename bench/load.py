"""Load benchmark: gunicorn with PostgreSQL and Redis serving workload M (bench/workload.py) to
10 and then 50 concurrent logged-in users, over the dashboard, the portfolio overview, the
performance page and the holdings API, each beside a minimal logged-in template view answering
the same number of bytes (`/bench/baseline/?bytes=N`, bench/load_urls.py: the bench's own URLs,
never the product's). Prints p50/p95/p99, requests/s and errors per page and the ratios of each
page's percentiles to its baseline's.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/portfolia_load \\
    REDIS_URL=redis://127.0.0.1:6379/6 .venv/bin/python bench/load.py [--seconds 60]

It migrates its database and loads workload M when missing or from another day (--reload forces
it). Gunicorn runs with production settings (DEBUG=0, HTTPS=0 since it is plain HTTP on
127.0.0.1, no static manifest: only HTML and JSON are fetched) and --workers sync workers, on a
free port, in its own process group, stopped at the end whatever happens. The cache is Redis
(CACHE_URL, by default the same database as REDIS_URL). The per-user API throttle is raised
(THROTTLE_USER) so that it is measured but does not answer 429 to one user playing 50. The load
comes from this process: one thread per user, each with its own keep-alive connection, going
round the eight URLs without pause (a closed loop). Exits non-zero on any error.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import re
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BENCH = ROOT / "bench"
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(BENCH))

import workload as workloads  # noqa: E402

SIZE = "M"
PASSWORD = "bench-portfolia-password"  # workload.load's bench users


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _server_env(port: int) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        DJANGO_SETTINGS_MODULE="load_settings",
        PYTHONPATH=os.pathsep.join([str(BENCH), str(ROOT)]),
        DEBUG="0",
        SECRET_KEY=env.get("SECRET_KEY") or "load-bench-secret-" + "k" * 40,
        ALLOWED_HOSTS="127.0.0.1",
        HTTPS="0",
        STATICFILES_MANIFEST="0",
        MARKET_DATA_PROVIDER="demo",
        THROTTLE_USER="1000000/minute",
        CSRF_TRUSTED_ORIGINS=f"http://127.0.0.1:{port}",
    )
    return env


def _start(port: int, workers: int, log, scratch: Path) -> subprocess.Popen:
    command = [
        str(ROOT / ".venv" / "bin" / "gunicorn"),
        "portfolia.wsgi",
        f"--bind=127.0.0.1:{port}",
        f"--workers={workers}",
        "--worker-class=sync",
        "--timeout=120",
        f"--chdir={ROOT}",
        f"--control-socket={scratch / 'gunicorn.ctl'}",
    ]
    env = _server_env(port)
    env["STATIC_ROOT"] = str(scratch / "static")  # empty: only HTML and JSON are fetched
    return subprocess.Popen(command, env=env, stdout=log, stderr=log, start_new_session=True)


def _stop(server: subprocess.Popen) -> None:
    if server.poll() is not None:
        return
    try:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=15)
    except subprocess.TimeoutExpired:
        os.killpg(server.pid, signal.SIGKILL)
        server.wait()
    except ProcessLookupError:
        pass


def _request(
    conn, path: str, cookie: str = "", method: str = "GET", body: str | None = None, tag: str = ""
):
    headers = {"Host": f"127.0.0.1:{conn.port}", "Cookie": cookie}
    if tag:  # the request id in the server's log line: which URL of which run it was
        headers["X-Request-ID"] = tag
    if body is not None:
        headers["Content-Type"] = "application/x-www-form-urlencoded"
        headers["Referer"] = f"http://127.0.0.1:{conn.port}/accounts/login/"
    conn.request(method, path, body=body, headers=headers)
    response = conn.getresponse()
    return response, response.read()


def _wait_ready(port: int, server: subprocess.Popen, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"gunicorn exited with {server.returncode}")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            response, _ = _request(conn, "/health/live")
            conn.close()
            if response.status == 200:
                return
        except OSError:
            pass
        time.sleep(0.3)
    raise SystemExit("gunicorn did not answer /health/live in time")


def _cookies(response, jar: dict[str, str]) -> None:
    for name, value in response.getheaders():
        if name.lower() == "set-cookie":
            key, _, rest = value.partition("=")
            jar[key.strip()] = rest.split(";", 1)[0]


def _login(port: int, email: str) -> str:
    """Log in through the login form (CSRF cookie and token first): the session cookie."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    jar: dict[str, str] = {}
    response, body = _request(conn, "/accounts/login/")
    _cookies(response, jar)
    token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', body).group(1).decode()
    form = urllib.parse.urlencode(
        {"csrfmiddlewaretoken": token, "username": email, "password": PASSWORD}
    )
    cookie = "; ".join(f"{k}={v}" for k, v in jar.items())
    response, _ = _request(conn, "/accounts/login/", cookie, method="POST", body=form)
    _cookies(response, jar)
    conn.close()
    if response.status != 302 or "sessionid" not in jar:
        raise SystemExit(f"log-in failed: {response.status}")
    return f"sessionid={jar['sessionid']}"


def _urls(port: int, cookie: str, portfolio) -> dict[str, str]:
    """The four pages and, for each, a baseline of its size (measured once, warming the cache)."""
    pages = {
        "dashboard": "/",
        "overview": f"/portfolios/{portfolio.public_id}/",
        "performance": f"/portfolios/{portfolio.public_id}/performance/",
        "holdings API": f"/api/v1/portfolios/{portfolio.public_id}/holdings/",
    }
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    urls = {}
    for name, path in pages.items():
        response, body = _request(conn, path, cookie)
        if response.status != 200:
            raise SystemExit(f"{name} answered {response.status}")
        urls[name] = path
        urls[f"baseline {name}"] = f"/bench/baseline/?bytes={len(body)}"
        response, base = _request(conn, urls[f"baseline {name}"], cookie)
        if response.status != 200 or len(base) != len(body):
            raise SystemExit(f"baseline for {name}: {response.status}, {len(base)} bytes")
        print(f"  {name:<13} {path}  {len(body):,} bytes")
    conn.close()
    return urls


class _Run:
    """Latencies (seconds) and errors per URL name, shared by the user threads."""

    def __init__(self, names: list[str]):
        self.latencies: dict[str, list[float]] = {name: [] for name in names}
        self.errors: dict[str, list[str]] = {name: [] for name in names}
        self.lock = threading.Lock()
        self.client_cpu = 0.0  # CPU seconds this process spent driving the load


def _user(port: int, cookie: str, urls: dict[str, str], until: float, run: _Run, users: int):
    order = [(name, path, f"{users}-{i}-") for i, (name, path) in enumerate(urls.items())]
    start = random.randrange(len(order))
    order = order[start:] + order[:start]
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    while time.perf_counter() < until:
        for name, path, tag in order:
            began = time.perf_counter()
            error = None
            try:
                response, _ = _request(conn, path, cookie, tag=tag + uuid.uuid4().hex[:12])
                if response.status != 200:
                    error = f"HTTP {response.status}"
            except (OSError, http.client.HTTPException) as exc:
                error = type(exc).__name__
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
            elapsed = time.perf_counter() - began
            with run.lock:
                (run.errors[name].append(error) if error else run.latencies[name].append(elapsed))
            if time.perf_counter() >= until:
                break
    conn.close()


def _percentile(values: list[float], share: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def _drive(port: int, cookie: str, urls: dict[str, str], users: int, seconds: float) -> _Run:
    run = _Run(list(urls))
    cpu = time.process_time()
    until = time.perf_counter() + seconds
    threads = [
        threading.Thread(target=_user, args=(port, cookie, urls, until, run, users), daemon=True)
        for _ in range(users)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(seconds + 120)
    run.client_cpu = time.process_time() - cpu
    return run


def _server_times(log_path: str) -> dict[tuple[int, int], list[float]]:
    """Gunicorn's request log lines (JSON) by (users, URL index) from their request ids: the
    time spent in Django, without the wait for a free worker."""
    times: dict[tuple[int, int], list[float]] = {}
    with open(log_path) as log:
        for line in log:
            if not line.startswith("{"):
                continue
            record = json.loads(line)
            parts = str(record.get("request_id", "")).split("-")
            if len(parts) == 3 and parts[0].isdigit() and "duration_ms" in record:
                key = (int(parts[0]), int(parts[1]))
                times.setdefault(key, []).append(record["duration_ms"] / 1000)
    return times


def _ms(values: list[float]) -> list[float]:
    return [_percentile(values, share) * 1000 for share in (0.50, 0.95, 0.99)]


def _ratios(ours: list[float], theirs: list[float]) -> list[float]:
    return [a / b if b else float("nan") for a, b in zip(ours, theirs, strict=True)]


def _triple(values: list[float], digits: int = 1) -> str:
    return "/".join(f"{value:.{digits}f}" for value in values)


def _report(run: _Run, users: int, seconds: float, server: dict) -> int:
    """The table of one concurrency level; answers its error count."""
    names = list(run.latencies)
    print(f"\n{users} concurrent users, {seconds:g} s (latency as the client sees it, ms)")
    print(
        f"  {'page':<13} {'requests':>8} {'req/s':>6} {'p50':>7} {'p95':>7} {'p99':>7} {'errors':>6}"
        f"  {'baseline p50/p95/p99':>21}  {'ratio':>13}  {'in Django p50/p95/p99':>21}"
        f"  {'baseline':>15}  {'ratio':>13}"
    )
    errors = 0
    for name in [n for n in names if not n.startswith("baseline ")]:
        base_name = f"baseline {name}"
        ours, theirs = _ms(run.latencies[name]), _ms(run.latencies[base_name])
        inside = _ms(server.get((users, names.index(name)), []))
        inside_base = _ms(server.get((users, names.index(base_name)), []))
        failed = len(run.errors[name]) + len(run.errors[base_name])
        errors += failed
        count = len(run.latencies[name])
        print(
            f"  {name:<13} {count:>8} {count / seconds:>6.1f}"
            f" {ours[0]:>7.1f} {ours[1]:>7.1f} {ours[2]:>7.1f} {failed:>6}"
            f"  {_triple(theirs):>21}  {_triple(_ratios(ours, theirs)):>13}"
            f"  {_triple(inside):>21}  {_triple(inside_base):>15}"
            f"  {_triple(_ratios(inside, inside_base)):>13}"
        )
        for message in sorted(set(run.errors[name] + run.errors[base_name])):
            print(f"      error: {message}")
    every = [x for values in run.latencies.values() for x in values]
    print(
        f"  all eight URLs: {len(every)} requests, {len(every) / seconds:.1f} req/s,"
        f" median {statistics.median(every) * 1000:.1f} ms, {errors} errors;"
        f" the client used {run.client_cpu / seconds:.2f} CPU cores"
    )
    return errors


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=60.0, help="per concurrency level")
    parser.add_argument("--users", type=int, nargs="+", default=[10, 50])
    parser.add_argument("--workers", type=int, default=3, help="gunicorn sync workers (2-4)")
    parser.add_argument("--reload", action="store_true", help="regenerate the workload")
    args = parser.parse_args()
    if not os.environ.get("DATABASE_URL"):
        raise SystemExit("DATABASE_URL is required (a PostgreSQL database of its own)")
    if os.environ.get("REDIS_URL"):  # the cache in the given Redis database, not the next one
        os.environ.setdefault("CACHE_URL", os.environ["REDIS_URL"])
    workloads.setup_django()
    import engine
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)
    portfolio = engine._portfolio(SIZE, args.reload)
    print(f"workload {SIZE}: portfolio {portfolio.public_id} of {portfolio.owner.email}")
    from django.db import connections

    connections.close_all()

    port = _free_port()
    scratch = Path(tempfile.mkdtemp(prefix="load-bench-"))
    (scratch / "static").mkdir()
    log_path = scratch / "gunicorn.log"
    runs = []
    with open(log_path, "w") as log:
        server = _start(port, args.workers, log, scratch)
        try:
            _wait_ready(port, server)
            print(f"gunicorn on 127.0.0.1:{port}, {args.workers} sync workers (log {log_path})")
            cookie = _login(port, portfolio.owner.email)
            urls = _urls(port, cookie, portfolio)
            for users in args.users:
                runs.append((users, _drive(port, cookie, urls, users, args.seconds)))
        finally:
            _stop(server)
    server_times = _server_times(str(log_path))
    errors = sum(_report(run, users, args.seconds, server_times) for users, run in runs)
    if errors:
        raise SystemExit(f"{errors} errors")


if __name__ == "__main__":
    main()
