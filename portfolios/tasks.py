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


class SimulationTask(Task):
    """A task that runs a simulation: when the task itself fails (killed at the hard time
    limit, an unexpected error), its run ends failed with the reason."""

    def on_failure(self, exc, task_id, args, kwargs, einfo) -> None:
        run_id = kwargs.get("run_id", args[0] if args else None)
        if run_id is None:
            return
        if isinstance(exc, TimeLimitExceeded | SoftTimeLimitExceeded):
            reason = (
                f"The run went past the task time limit ({settings.CELERY_TASK_TIME_LIMIT} s) "
                "and was stopped. Try a shorter period or fewer assets."
            )
        else:
            reason = "An unexpected error stopped this run; the details are in the worker's log."
        simulations.simulation_run_fail(run_id=run_id, reason=reason)


@shared_task(bind=True, base=SimulationTask, name="portfolios.simulation_run")
def simulation_run(self, run_id: int) -> dict:
    """Run simulation run ``run_id``."""
    run = simulations.simulation_run_execute(run_id=run_id)
    return {"run_id": run_id, "status": run.status}


@shared_task(name="portfolios.sweep_simulations")
def sweep_simulations() -> dict:
    """Fail the simulation runs that would otherwise stay queued or running for good."""
    return {"failed": simulations.simulation_runs_sweep()}


class ImportJobTask(Task):
    """A task that runs an import job: when the task itself fails (killed at the hard time
    limit, an unexpected error), its job ends failed with the reason; the import's one
    transaction is rolled back, so nothing is saved."""

    def on_failure(self, exc, task_id, args, kwargs, einfo) -> None:
        job_id = kwargs.get("job_id", args[0] if args else None)
        if job_id is None:
            return
        if isinstance(exc, TimeLimitExceeded | SoftTimeLimitExceeded):
            reason = (
                f"The import went past the task time limit ({settings.CELERY_TASK_TIME_LIMIT} s) "
                "and was stopped; nothing was saved. Split the file."
            )
        else:
            reason = import_jobs.UNEXPECTED
        import_jobs.import_job_fail(job_id=job_id, reason=reason)


@shared_task(bind=True, base=ImportJobTask, name="portfolios.import_job_run")
def import_job_run(self, job_id: int) -> dict:
    """Run import job ``job_id``."""
    job = import_jobs.import_job_execute(job_id=job_id)
    return {"job_id": job_id, "status": job.status}


@shared_task(name="portfolios.sweep_import_jobs")
def sweep_import_jobs() -> dict:
    """End the import jobs that would otherwise stay queued, running or staged for good."""
    return {"ended": import_jobs.import_jobs_sweep()}
