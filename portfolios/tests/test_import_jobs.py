"""Big imports: a save of more than IMPORT_TASK_ROWS lines runs as a Celery task (eager here)
with progress, answered 202 on the API and polled on the page (286 once done); a failing one
saves nothing; stuck and abandoned jobs are swept; big previews page their rows."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone

from portfolios.models import ImportJob, Transaction
from portfolios.services import import_jobs
from portfolios.services import imports as import_service
from portfolios.tests.factories import AssetFactory, PortfolioFactory

pytestmark = pytest.mark.django_db

HEADER = "date,kind,symbol,quantity,price,amount,fee,currency"


@pytest.fixture(autouse=True)
def small_task_threshold(settings):
    settings.IMPORT_TASK_ROWS = 5  # files of more than 5 lines are "big" in these tests


@pytest.fixture
def portfolio(user):
    AssetFactory(symbol="AAPL", currency="USD")
    return PortfolioFactory(owner=user, base_currency="USD", records_cash=False)


def buys(count: int, *, last: str = "") -> bytes:
    """`count` buys of 1 AAPL at 100 on consecutive days from 2 Jan 2024, then `last`."""
    start = dt.date(2024, 1, 2)
    lines = [HEADER] + [
        f"{start + dt.timedelta(days=i)},buy,AAPL,1,100,,0,USD" for i in range(count)
    ]
    return ("\n".join(lines + ([last] if last else [])) + "\n").encode()


def api_url(portfolio) -> str:
    return f"/api/v1/portfolios/{portfolio.public_id}/transactions/import/"


def api_save(auth_client, portfolio, data: bytes):
    upload = SimpleUploadedFile("big.csv", data, content_type="text/csv")
    return auth_client.post(
        api_url(portfolio), {"file": upload, "dry_run": "false"}, format="multipart"
    )


def test_a_big_save_on_the_api_answers_202_and_the_task_saves_every_row(
    auth_client, portfolio, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = api_save(auth_client, portfolio, buys(10))
    assert response.status_code == 202, response.json()
    body = response.json()
    assert body["status"] == "queued"  # as the request left it; the task ran on commit
    polled = auth_client.get(body["url"]).json()
    assert (polled["status"], polled["progress"]) == ("succeeded", 1.0)
    assert polled["result"]["created"] == 10 and polled["result"]["totals"]["new"] == 10
    assert Transaction.objects.filter(portfolio=portfolio).count() == 10
    assert bytes(ImportJob.objects.get().data) == b""  # the file is not kept once run


def test_a_small_save_stays_in_the_request(auth_client, portfolio):
    response = api_save(auth_client, portfolio, buys(4))  # 5 lines: not more than 5
    assert response.status_code == 201
    assert not ImportJob.objects.exists()


def test_the_task_reports_its_progress_as_it_checks_the_rows(
    portfolio, monkeypatch, django_capture_on_commit_callbacks
):
    reported: list[float] = []
    real_set = import_jobs.cache.set

    def recording(key, value, *args, **kwargs):
        if key.startswith("import-job:"):
            reported.append(value)
        return real_set(key, value, *args, **kwargs)

    monkeypatch.setattr(import_jobs.cache, "set", recording)
    monkeypatch.setattr(import_service, "PROGRESS_ROWS", 2)
    job = import_jobs.import_job_stage(portfolio=portfolio, data=buys(5), options={})
    with django_capture_on_commit_callbacks(execute=True):
        import_jobs.import_job_start(job=job)
    # Rows 0, 2 and 4 of 5 report 0.9 x index / 5: 0, 0.36, 0.72; then done.
    assert reported == [0.0, 0.36, 0.72]
    job.refresh_from_db()
    assert (job.status, job.progress) == ("succeeded", 1.0)


def test_a_running_job_reads_its_progress_from_the_worker(portfolio):
    job = ImportJob.objects.create(
        owner=portfolio.owner, portfolio=portfolio, status="running", data=b""
    )
    import_jobs.cache.set(f"import-job:{job.pk}:progress", 0.42)
    assert import_jobs.import_job_progress(job) == 0.42


def test_a_job_with_a_bad_row_fails_and_saves_nothing(
    auth_client, portfolio, django_capture_on_commit_callbacks
):
    data = buys(10, last="2024-03-01,sell,AAPL,11,100,,0,USD")  # 10 bought, 11 sold
    with django_capture_on_commit_callbacks(execute=True):
        response = api_save(auth_client, portfolio, data)
    polled = auth_client.get(response.json()["url"]).json()
    assert polled["status"] == "failed"
    assert "1 row cannot be imported" in polled["error"]
    assert polled["result"]["totals"] == {
        "new": 10,
        "duplicate": 0,
        "unresolved": 0,
        "skipped": 0,
        "error": 1,
    }
    assert not Transaction.objects.exists()


def test_a_job_whose_task_breaks_mid_save_fails_and_saves_nothing(
    portfolio, monkeypatch, django_capture_on_commit_callbacks
):
    def broken(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(Transaction.objects, "bulk_create", broken)
    job = import_jobs.import_job_stage(portfolio=portfolio, data=buys(10), options={})
    with django_capture_on_commit_callbacks(execute=True):
        import_jobs.import_job_start(job=job)  # the eager task's error ends in its result
    job.refresh_from_db()
    assert job.status == "failed" and "nothing was saved" in job.error
    assert not Transaction.objects.exists()


@override_settings(CELERY_TASK_TIME_LIMIT=600, MARKET_JOB_QUEUED_LIMIT=3600)
def test_the_sweep_ends_stuck_jobs_and_deletes_abandoned_staged_files(portfolio):
    now = timezone.now()

    def job(status: str, **times) -> ImportJob:
        made = ImportJob.objects.create(
            owner=portfolio.owner, portfolio=portfolio, status=status, data=b"x", **times
        )
        ImportJob.objects.filter(pk=made.pk).update(**times)  # created_at is auto_now_add
        return made

    dead = job("running", started_at=now - dt.timedelta(seconds=600 + 61))
    alive = job("running", started_at=now - dt.timedelta(seconds=30))
    lost = job("queued", created_at=now - dt.timedelta(seconds=3601))
    abandoned = job("staged", created_at=now - dt.timedelta(hours=7))
    fresh = job("staged", created_at=now - dt.timedelta(hours=1))
    assert import_jobs.import_jobs_sweep(now=now) == 3  # dead, lost, abandoned
    statuses = dict(ImportJob.objects.values_list("pk", "status"))
    assert statuses == {
        dead.pk: "failed",
        alive.pk: "running",
        lost.pk: "failed",
        fresh.pk: "staged",
    }
    assert abandoned.pk not in statuses


def test_the_page_stages_a_big_file_confirms_it_as_a_job_and_polls_it(
    client, user, portfolio, django_capture_on_commit_callbacks
):
    client.force_login(user)
    url = reverse("transaction-import", args=[portfolio.public_id])
    upload = SimpleUploadedFile("big.csv", buys(10), content_type="text/csv")
    preview = client.post(url, {"file": upload, "format": "portfolia"}).content.decode()
    job = ImportJob.objects.get(status="staged")
    assert f'name="import_job" value="{job.public_id}"' in preview
    assert "Import 10 transactions (in the background)" in preview
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, {"import_job": str(job.public_id), "format": "portfolia"})
    job_url = reverse("transaction-import-job", args=[portfolio.public_id, job.public_id])
    assert response.status_code == 302 and response["Location"] == job_url
    polled = client.get(job_url, HTTP_HX_REQUEST="true")
    assert polled.status_code == 286  # htmx stops polling
    assert "Imported 10 transactions" in polled.content.decode()
    assert Transaction.objects.filter(portfolio=portfolio).count() == 10
    again = client.post(url, {"import_job": str(job.public_id)}).content.decode()
    assert "started already" in again  # a job runs once


def test_an_unfinished_job_keeps_polling(client, user, portfolio):
    client.force_login(user)
    job = ImportJob.objects.create(owner=user, portfolio=portfolio, status="queued", data=b"")
    job_url = reverse("transaction-import-job", args=[portfolio.public_id, job.public_id])
    polled = client.get(job_url, HTTP_HX_REQUEST="true")
    assert polled.status_code == 200
    assert 'hx-trigger="every 1s"' in polled.content.decode()


def test_someone_elses_job_is_not_found(client, auth_client, other_user, user, portfolio):
    theirs_portfolio = PortfolioFactory(owner=other_user)
    theirs = ImportJob.objects.create(
        owner=other_user, portfolio=theirs_portfolio, data=b"secret", status="staged"
    )
    client.force_login(user)
    # Their job under my portfolio, under theirs, and a malformed id: 404s.
    api = f"/api/v1/portfolios/{portfolio.public_id}/import-jobs/{theirs.public_id}/"
    assert auth_client.get(api).status_code == 404
    page = reverse("transaction-import-job", args=[theirs_portfolio.public_id, theirs.public_id])
    assert client.get(page).status_code == 404
    url = reverse("transaction-import", args=[portfolio.public_id])
    assert client.post(url, {"import_job": str(theirs.public_id)}).status_code == 404
    assert client.post(url, {"import_job": "not-a-uuid\x00"}).status_code == 404
    assert ImportJob.objects.get(pk=theirs.pk).status == "staged"


def synthetic(rows: int) -> bytes:
    """`rows` deposits of 1 USD, forty a day from 1 Jan 2000; every 1,000th (i = 999, 1999...)
    of the kind "gift", which is no kind."""
    start = dt.date(2000, 1, 1)
    lines = [HEADER]
    for i in range(rows):
        kind = "gift" if i % 1000 == 999 else "deposit"
        lines.append(f"{start + dt.timedelta(days=i // 40)},{kind},,,,1,0,USD")
    return ("\n".join(lines) + "\n").encode()


def test_a_100000_row_file_previews_with_totals_and_pages_its_rows(auth_client, user):
    portfolio = PortfolioFactory(owner=user, base_currency="USD", records_cash=True)
    upload = SimpleUploadedFile("huge.csv", synthetic(100_000), content_type="text/csv")
    response = auth_client.post(
        api_url(portfolio) + "?page=2", {"file": upload, "dry_run": "true"}, format="multipart"
    )
    assert response.status_code == 422  # the 100 gifts are errors: nothing would be saved
    report = response.json()["report"]
    # 100,000 rows: 100 of them (every 1,000th) gifts, 99,900 deposits.
    assert report["totals"] == {
        "new": 99_900,
        "duplicate": 0,
        "unresolved": 0,
        "skipped": 0,
        "error": 100,
    }
    assert (report["row_count"], report["page"], report["pages"]) == (100_000, 2, 500)
    # Page 2 is rows 201-400: file lines 202-401 (the header is line 1).
    assert [row["line"] for row in report["rows"]] == list(range(202, 402))
    assert not Transaction.objects.exists()


@pytest.mark.parametrize("page", ["0", "-1", "abc", "99999999999"])
def test_a_bad_page_answers_400_on_the_api(auth_client, portfolio, page):
    upload = SimpleUploadedFile("t.csv", buys(2), content_type="text/csv")
    response = auth_client.post(
        api_url(portfolio), {"file": upload, "page": page}, format="multipart"
    )
    assert response.status_code == 400
    assert "page" in response.json()["error"]["fields"]


def test_the_page_shows_200_rows_a_page_and_a_page_past_the_last_shows_the_last(
    client, user, portfolio
):
    client.force_login(user)
    url = reverse("transaction-import", args=[portfolio.public_id])
    upload = SimpleUploadedFile("big.csv", buys(250), content_type="text/csv")
    first = client.post(url, {"file": upload, "format": "portfolia"}).content.decode()
    assert first.count('class="import-row') == 200 and "Page 1 of 2" in first
    job = ImportJob.objects.get()
    carried = {"import_job": str(job.public_id), "format": "portfolia", "preview": "1"}
    for page in ("2", "7", "x\x00"):
        shown = client.post(url, {**carried, "page": page}).content.decode()
        expected = 50 if page != "x\x00" else 200  # 250 rows: 200 then 50; junk reads as 1
        assert shown.count('class="import-row') == expected
    assert ImportJob.objects.count() == 1  # previewing again reuses the staged file


def test_beat_runs_the_import_job_sweep():
    from django_celery_beat.models import PeriodicTask

    assert PeriodicTask.objects.filter(task="portfolios.sweep_import_jobs").exists()
    assert import_jobs.import_jobs_sweep() == 0  # nothing to end


@override_settings(CELERY_TASK_TIME_LIMIT=600)
def test_a_task_stopped_at_the_time_limit_fails_its_job_saying_so(portfolio):
    from celery.exceptions import TimeLimitExceeded

    from portfolios.tasks import import_job_run

    job = ImportJob.objects.create(
        owner=portfolio.owner, portfolio=portfolio, status="running", data=b"x"
    )
    import_job_run.on_failure(TimeLimitExceeded(600), "task-id", (job.pk,), {}, None)
    job.refresh_from_db()
    assert job.status == "failed" and bytes(job.data) == b""
    assert job.error == (
        "The import went past the task time limit (600 s) and was stopped; nothing was saved. "
        "Split the file."
    )


def test_an_upload_over_the_body_cap_is_refused_before_it_is_read(
    auth_client, client, user, portfolio
):
    # 22 MB: over UPLOAD_MAX_BODY_SIZE (21 MB), refused from its Content-Length.
    data = buys(1) + b"x" * (22 * 1024 * 1024)
    upload = SimpleUploadedFile("huge.csv", data, content_type="text/csv")
    response = auth_client.post(api_url(portfolio), {"file": upload}, format="multipart")
    assert response.status_code == 413
    assert response.json()["error"]["message"] == (
        "The upload is larger than 21 MB; send a smaller file."
    )
    client.force_login(user)
    upload.seek(0)
    page = client.post(reverse("transaction-import", args=[portfolio.public_id]), {"file": upload})
    assert page.status_code == 400
    assert not Transaction.objects.exists() and not ImportJob.objects.exists()


def test_a_file_of_few_long_lines_over_5_mb_is_big_too():
    # 3 lines of 2 MB: not more than IMPORT_TASK_ROWS (5 here) lines, but 6 MB > 5 MB.
    assert import_jobs.import_is_big(b"x" * (2 * 1024 * 1024) + b"\n") is False
    assert import_jobs.import_is_big((b"x" * (2 * 1024 * 1024) + b"\n") * 3) is True
