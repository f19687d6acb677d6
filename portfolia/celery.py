"""The Celery application: configured from Django settings (namespace CELERY), tasks autodiscovered."""

import os
from pathlib import Path

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portfolia.settings")

app = Celery("portfolia")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


def ensure_broker_folders() -> None:
    """The filesystem broker needs its folders to exist before producer or worker touch them."""
    options = app.conf.broker_transport_options or {}
    for key in ("data_folder_in", "data_folder_out", "processed_folder", "control_folder"):
        if options.get(key):
            Path(options[key]).mkdir(parents=True, exist_ok=True)
    backend = app.conf.result_backend or ""
    if backend.startswith("file://"):
        Path(backend.removeprefix("file://")).mkdir(parents=True, exist_ok=True)


@app.on_after_finalize.connect
def _count_tasks(sender: Celery, **kwargs) -> None:
    """The task metrics' signal handlers, imported once settings are read (the multiprocess
    folder must be known before prometheus_client is imported)."""
    import portfolia.metrics  # noqa: F401


@app.on_after_configure.connect
def _prepare_folders(sender: Celery, **kwargs) -> None:
    ensure_broker_folders()


@app.task(name="portfolia.ping", ignore_result=False)
def ping() -> str:
    """Answer "pong": proves a worker is consuming from the broker (health checks, tests)."""
    return "pong"
