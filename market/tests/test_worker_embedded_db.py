"""The embedded default serves web, worker and beat at once: on a SQLite file (the app's own
settings: WAL, a busy timeout, immediate transactions) and the filesystem broker, as
``make run`` uses them, a real Celery worker and beat run 20 demo backfills while the "web"
process records transactions through the services, and every job succeeds with no
``database is locked``. A worker killed (SIGKILL) in the middle of a job leaves it for the
periodic check, which fails it with a reason, and asking again starts a new job; a pool process
killed mid-job is replaced and the task, delivered again (late acknowledgement), runs the same
job to success.

Everything runs in processes of its own against a temporary database file that the test
migrates, so it tests the embedded default even when the suite runs on PostgreSQL.
"""

import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
JOBS = 20
pytestmark = pytest.mark.worker

# The "web": a user, a portfolio and a buy of each of 20 new assets (each buy queues the
# asset's backfill on commit, as a page or the API does), then more buys while the jobs run.
WEB = r"""
import datetime as dt, json, sys, time
from decimal import Decimal

import django

django.setup()

from accounts.models import User
from market.models import FetchJob
from market.providers.base import SearchResult
from market.services import asset_find_or_create
from portfolios.services import portfolio_create, transaction_create

jobs, deadline = int(sys.argv[1]), time.monotonic() + float(sys.argv[2])
errors, writes = [], 0
user = User.objects.create_user("web@example.com", "not-a-real-password-1")
portfolio = portfolio_create(owner=user, name="Concurrent writes", base_currency="USD")
assets = [
    asset_find_or_create(
        result=SearchResult(f"JOB{i:02d}", f"Job {i}", "stock", "USD", "NASDAQ", "demo")
    )
    for i in range(jobs)
]
day = dt.date.today() - dt.timedelta(days=40)


def buy(asset):
    global writes
    try:
        transaction_create(
            portfolio=portfolio, kind="buy", date=day, asset=asset,
            quantity=Decimal(1), price=Decimal("10.5"), currency="USD",
        )
        writes += 1
    except Exception as error:
        errors.append(repr(error))


for asset in assets:
    buy(asset)
while time.monotonic() < deadline:
    buy(assets[writes % jobs])
    time.sleep(0.02)  # requests come one after another, not in a hot loop
    active = FetchJob.objects.filter(status__in=["queued", "running"]).count()
    if active == 0 and FetchJob.objects.count() >= jobs:
        break
print(json.dumps({
    "writes": writes,
    "errors": errors,
    "jobs": list(FetchJob.objects.values("asset__symbol", "status", "error", "rows_written")),
}))
"""


# A worker (its options in argv) whose demo provider takes a minute over the symbol SLOW, so a
# test can kill it there; it writes the id of the process running the task to the file
# SLOW_PID, and with SLOW_ONCE set it is slow only while that file does not exist yet.
SLOW_WORKER = r"""
import os, sys, time
from pathlib import Path

from market.providers.demo import DemoProvider

answer = DemoProvider.history


def slow_history(self, symbol, start, end):
    marker = Path(os.environ["SLOW_PID"])
    if symbol == "SLOW" and not (os.environ.get("SLOW_ONCE") and marker.exists()):
        marker.write_text(str(os.getpid()))
        time.sleep(60)
    return answer(self, symbol, start, end)


DemoProvider.history = slow_history
from celery.bin.celery import main

sys.argv = ["celery", "-A", "portfolia", "worker", *sys.argv[1:], "--loglevel=INFO"]
main()
"""

# The "web" asks for the history of SLOW and prints its job's id.
ASK = r"""
import django

django.setup()
from market.models import Asset
from market.services import backfill_request

asset, _ = Asset.objects.get_or_create(
    provider="demo", symbol="SLOW", owner=None,
    defaults={"name": "Slow", "asset_class": "stock", "currency": "USD"},
)
print(backfill_request(asset=asset).pk)
"""

# The periodic check, with the clock moved past the running limit, then asking again.
SWEEP_AND_ASK = r"""
import datetime as dt, json

import django

django.setup()
from django.utils import timezone

from market import selectors, services
from market.models import Asset, FetchJob

later = timezone.now() + selectors.job_running_limit() + dt.timedelta(minutes=1)
swept = [job.pk for job in services.fetch_jobs_sweep(now=later)]
asset = Asset.objects.get(symbol="SLOW")
old = FetchJob.objects.get(asset=asset)
new = services.backfill_request(asset=asset)
print(json.dumps({"swept": swept, "status": old.status, "error": old.error, "new": new.pk,
                  "new_status": new.status}))
"""


@pytest.fixture(scope="module")
def migrated_db(tmp_path_factory) -> Path:
    """A migrated SQLite file, made once; each test works on its own copy."""
    folder = tmp_path_factory.mktemp("migrated")
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput", "-v0"],
        cwd=ROOT,
        env=_env(folder),
        check=True,
        timeout=120,
    )
    return folder / "db.sqlite3"


def _python(env: dict[str, str], code: str, *args: str) -> str:
    done = subprocess.run(
        [sys.executable, "-c", code, *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=90,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout.strip().splitlines()[-1]


def _job_status(database: Path, job_id: int, wanted: str, *, within: float) -> str:
    """The job's status once it is ``wanted``, or the last one seen after ``within`` seconds."""
    connection = sqlite3.connect(database, timeout=20)
    deadline = time.monotonic() + within
    try:
        while True:
            (status,) = connection.execute(
                "SELECT status FROM market_fetchjob WHERE id = ?", [job_id]
            ).fetchone()
            if status == wanted or time.monotonic() > deadline:
                return status
            time.sleep(0.2)
    finally:
        connection.close()


def _slow_worker(env: dict[str, str], log: Path, *options: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-c", SLOW_WORKER, *options],
        cwd=ROOT,
        env=env,
        stdout=log.open("w"),
        stderr=subprocess.STDOUT,
    )


def _env(tmp_path: Path) -> dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in ("REDIS_URL", "CACHE_URL", "DATABASE_URL")
    }
    env.update(
        DEBUG="1",
        SECRET_KEY="insecure-test-only-secret-key-0123456789abcdefghijklmnopqrstuvwxyz",
        DJANGO_SETTINGS_MODULE="portfolia.settings",
        DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}",
        CELERY_DATA_DIR=str(tmp_path / "celery"),
        CELERY_TASK_ALWAYS_EAGER="0",
        MARKET_DATA_PROVIDER="demo",
        PYTHONUNBUFFERED="1",
        SLOW_PID=str(tmp_path / "slow.pid"),
    )
    return env


def _celery(env: dict[str, str], *args: str, log: Path) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "portfolia", *args, "--loglevel=INFO"],
        cwd=ROOT,
        env=env,
        stdout=log.open("w"),
        stderr=subprocess.STDOUT,
    )


def _stop(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def test_worker_beat_and_web_share_the_sqlite_file_and_every_backfill_succeeds(
    tmp_path, migrated_db
):
    env = _env(tmp_path)
    shutil.copy(migrated_db, tmp_path / "db.sqlite3")
    worker_log, beat_log = tmp_path / "worker.log", tmp_path / "beat.log"
    worker = _celery(env, "worker", "--concurrency=2", log=worker_log)
    beat = _celery(env, "beat", f"--schedule={tmp_path / 'beat-schedule'}", log=beat_log)
    try:
        started = time.monotonic()
        web = subprocess.run(
            [sys.executable, "-c", WEB, str(JOBS), "45"],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=90,
        )
        elapsed = time.monotonic() - started
    finally:
        _stop(worker)
        _stop(beat)
    logs = worker_log.read_text() + beat_log.read_text()
    assert web.returncode == 0, web.stderr[-3000:]
    outcome = json.loads(web.stdout.strip().splitlines()[-1])

    assert outcome["errors"] == []
    assert outcome["writes"] >= JOBS
    jobs = outcome["jobs"]
    assert len(jobs) == JOBS
    not_succeeded = [job for job in jobs if job["status"] != "succeeded"]
    assert not_succeeded == [], f"{not_succeeded}\n{logs[-2000:]}"
    assert all(job["rows_written"] > 200 for job in jobs)
    assert "database is locked" not in logs + web.stderr
    print(f"elapsed {elapsed:.1f}s, {outcome['writes']} writes")
    assert elapsed < 60


def test_a_worker_killed_mid_job_leaves_the_job_to_the_check_which_fails_it(tmp_path, migrated_db):
    env = _env(tmp_path)
    shutil.copy(migrated_db, tmp_path / "db.sqlite3")
    log = tmp_path / "worker.log"
    worker = _slow_worker(env, log, "--pool=solo")
    try:
        job_id = int(_python(env, ASK))
        status = _job_status(tmp_path / "db.sqlite3", job_id, "running", within=40)
        assert status == "running", log.read_text()[-2000:]
        os.kill(worker.pid, signal.SIGKILL)  # mid-job: inside the provider call
        worker.wait(timeout=10)
    finally:
        if worker.poll() is None:
            worker.kill()
            worker.wait()

    outcome = json.loads(_python(env, SWEEP_AND_ASK))

    assert outcome["swept"] == [job_id]
    assert outcome["status"] == "failed"
    assert outcome["error"].startswith("The worker stopped during attempt 1")
    assert outcome["new"] != job_id and outcome["new_status"] == "queued"


def test_a_worker_process_killed_mid_job_is_replaced_and_the_job_succeeds_on_redelivery(
    tmp_path, migrated_db
):
    env = _env(tmp_path)
    env["SLOW_ONCE"] = "1"
    shutil.copy(migrated_db, tmp_path / "db.sqlite3")
    log = tmp_path / "worker.log"
    worker = _slow_worker(env, log, "--pool=prefork", "--concurrency=1")
    try:
        job_id = int(_python(env, ASK))
        marker = Path(env["SLOW_PID"])
        deadline = time.monotonic() + 40
        while not marker.exists() and time.monotonic() < deadline:
            time.sleep(0.2)
        assert marker.exists(), log.read_text()[-2000:]
        time.sleep(0.2)
        os.kill(int(marker.read_text()), signal.SIGKILL)  # the pool process, mid-job

        status = _job_status(tmp_path / "db.sqlite3", job_id, "succeeded", within=40)
    finally:
        _stop(worker)

    assert status == "succeeded", log.read_text()[-3000:]
    database = sqlite3.connect(tmp_path / "db.sqlite3")
    (attempts,) = database.execute(
        "SELECT attempts FROM market_fetchjob WHERE id = ?", [job_id]
    ).fetchone()
    database.close()
    assert attempts == 2
