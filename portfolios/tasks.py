"""Celery tasks of portfolios: thin wrappers that take ids and call one service each.

A simulation run never stays running for good: a task stopped at the hard time limit fails its
run at once (``SimulationTask.on_failure``), and ``sweep_simulations`` (run by beat) fails runs
whose worker died, as market's fetch-job sweep does. Import jobs (big transactions imports)
end the same way (``ImportJobTask``, ``sweep_import_jobs``).
"""

from __future__ import annotations

from celery import Task, shared_task
from celery.exceptions import SoftTimeLimitExceeded, TimeLimitExceeded
from django.conf import settings

from portfolios.services import import_jobs, simulations


class EndsFailedTask(Task):
    """A task that runs one stored job (its id the first argument, or `id_name`): when the
    task itself fails (killed at the hard time limit, an unexpected error), the job ends
    failed with the reason (`fail`)."""

    id_name = ""
    subject = ""  # "The run": it "went past the task time limit (N s) and was stopped" …
    advice = ""  # … and what to do then
    unexpected = ""

    def fail(self, object_id: int, reason: str) -> None:
        raise NotImplementedError

    def on_failure(self, exc, task_id, args, kwargs, einfo) -> None:
        object_id = kwargs.get(self.id_name, args[0] if args else None)
        if object_id is None:
            return
        if isinstance(exc, TimeLimitExceeded | SoftTimeLimitExceeded):
            reason = (
                f"{self.subject} went past the task time limit "
                f"({settings.CELERY_TASK_TIME_LIMIT} s) and was stopped{self.advice}"
            )
        else:
            reason = self.unexpected
        self.fail(object_id, reason)


class SimulationTask(EndsFailedTask):
    id_name = "run_id"
    subject, advice = "The run", ". Try a shorter period or fewer assets."
    unexpected = "An unexpected error stopped this run; the details are in the worker's log."

    def fail(self, object_id: int, reason: str) -> None:
        simulations.simulation_run_fail(run_id=object_id, reason=reason)


@shared_task(bind=True, base=SimulationTask, name="portfolios.simulation_run")
def simulation_run(self, run_id: int) -> dict:
    """Run simulation run ``run_id``."""
    run = simulations.simulation_run_execute(run_id=run_id)
    return {"run_id": run_id, "status": run.status}


@shared_task(name="portfolios.sweep_simulations")
def sweep_simulations() -> dict:
    """Fail the simulation runs that would otherwise stay queued or running for good."""
    return {"failed": simulations.simulation_runs_sweep()}


class ImportJobTask(EndsFailedTask):
    """The import's one transaction is rolled back when its task fails: nothing is saved."""

    id_name = "job_id"
    subject, advice = "The import", "; nothing was saved. Split the file."
    unexpected = import_jobs.UNEXPECTED

    def fail(self, object_id: int, reason: str) -> None:
        import_jobs.import_job_fail(job_id=object_id, reason=reason)


@shared_task(bind=True, base=ImportJobTask, name="portfolios.import_job_run")
def import_job_run(self, job_id: int) -> dict:
    """Run import job ``job_id``."""
    job = import_jobs.import_job_execute(job_id=job_id)
    return {"job_id": job_id, "status": job.status}


@shared_task(name="portfolios.sweep_import_jobs")
def sweep_import_jobs() -> dict:
    """End the import jobs that would otherwise stay queued, running or staged for good."""
    return {"ended": import_jobs.import_jobs_sweep()}
