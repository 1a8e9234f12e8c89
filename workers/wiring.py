"""What runs beside the job engine, written down in one place: the terminal hooks of the
job engine (in this order) and the webhook dispatchers. `wire()` is called by
`workers.runtime.init_app`, which every entry point goes through (the API's create_app, the
worker's workers.main, the scheduler); nothing registers itself when it is imported. The
scheduled jobs are listed in `workers.scheduler.scheduled_jobs`.
"""

from __future__ import annotations

from storage import jobs as job_service
from storage.webhooks import events


def terminal_hooks() -> list[job_service.TerminalHook]:
    """Called in the transaction that ends a job (succeeded, failed or canceled)."""
    from storage import batches, conversations, usage
    from storage.content import attempts, badges
    from storage.learning import progress
    from workers.actors import batches as batch_actors

    return [
        progress.on_job_terminal,  # the learner's level and streak from an assessment
        conversations.on_job_terminal,  # a failed turn frees its session, says why
        attempts.on_job_terminal,  # an assessed exercise item; quiz.graded at the last one
        badges.on_job_terminal,  # badges a new level or streak day earns
        events.on_job_terminal,  # job.* webhook events, LMS grades and statements
        batches.on_job_terminal,  # the batch's counts, batch.completed at its last job
        usage.on_job_terminal,  # what the job used, once; a failed job's quota back
        batch_actors.notify_batch,  # after the commit: wake the batch's long polls
    ]


def dispatchers() -> list[events.Dispatcher]:
    """Called after the commit that created webhook deliveries."""
    from workers.webhooks import delivery

    return [delivery.first_dispatch]


def wire() -> None:
    job_service.set_terminal_hooks(terminal_hooks())
    events.set_dispatchers(dispatchers())
