"""Periodic jobs (#16 action reminders, #17 missed visits): a registry of `PeriodicJob`s that
`inspect-api worker` and the in-process worker of `inspect-api dev` run.

Features register their jobs from the app level (`inspect_api.app.register_periodic_jobs()`), the way
release hooks are registered, so this module imports no feature:

    register_job(PeriodicJob(name="actions.reminders", every=timedelta(minutes=1), run=send_reminders))

`run(conn, now)` runs inside its own transaction on `conn` and returns how many things it did (logged and
kept in `job_runs.last_count`). Any number of workers may run at once: each due job is claimed by locking
its `job_runs` row with `SELECT ... FOR UPDATE SKIP LOCKED` where `next_run_at <= now`; the run and the
move of `next_run_at` commit together, so a due job runs once per period whichever worker gets it. A job
that raises is rolled back (savepoint), its error kept in `job_runs.last_error`, and it is tried again
after `retry_after` (default: its period). Jobs should be idempotent anyway (a crash between the work and
the commit loses both, and the next run does it again)."""

from inspect_api.jobs.registry import PeriodicJob, clear_jobs, register_job, registered_jobs
from inspect_api.jobs.runner import JobResult, run_due, run_jobs, run_jobs_from_dsn

__all__ = ["JobResult", "PeriodicJob", "clear_jobs", "register_job", "registered_jobs", "run_due", "run_jobs",
           "run_jobs_from_dsn"]
