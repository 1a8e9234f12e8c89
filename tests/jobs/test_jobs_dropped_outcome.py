"""A job's outcome is written only by the run that still owns the job. When that write is
dropped (the job was erased with its learner while it ran, or a run that took the job over
after its lease expired records its own), the rows the handler added in that transaction
are dropped with it; when it is written, they are committed with it."""

from __future__ import annotations

from sqlalchemy import delete, func, select, update

from pipelines.llm.base import _count as count_llm_call
from storage import audit
from storage.db import db
from storage.models.audit import AuditRecord
from storage.models.jobs import Job
from tests.jobs.helpers import submit_ping
from workers import engine

ACTION = "test.handler_row"


def queued_job(client, accounts) -> str:
    """A ping job left queued (no worker runs here): run_job below is its worker."""
    admin = accounts.admin()
    answer = submit_ping(client, admin.headers)
    assert answer.status_code == 202, answer.get_json()
    return answer.get_json()["id"]


def handler_rows() -> int:
    db.session.expire_all()
    return db.session.scalar(
        select(func.count()).select_from(AuditRecord).where(AuditRecord.action == ACTION)
    )


def adding_a_row(then=None, llm_tokens: int = 0):
    """A handler that adds a row in the job's transaction, then lets `then` happen (what
    another process does meanwhile) before it returns its result."""

    def handler(ctx: engine.JobContext) -> dict:
        job = ctx.job
        audit.record(
            ctx.session,
            audit.ActedBy(job.organisation_id, "system", id=job.id),
            ACTION,
            target_type="job",
            target_id=job.id,
        )
        if llm_tokens:
            count_llm_call({"input_tokens": llm_tokens, "output_tokens": 1})
        if then is not None:
            with db.engine.begin() as connection:
                then(connection, job.id)
        return {"done": True}

    return handler


def erase(connection, job_id: str) -> None:
    connection.execute(delete(Job).where(Job.id == job_id))


def take_over(connection, job_id: str) -> None:
    connection.execute(update(Job).where(Job.id == job_id).values(run_token="another-run"))


def test_a_handler_s_rows_are_committed_with_its_outcome(app, client, accounts):
    # Given a queued job
    job_id = queued_job(client, accounts)
    # When its handler adds a row and returns, nothing happening meanwhile
    engine.run_job(job_id, adding_a_row(), "test_handler")
    # Then the job succeeded and the row was committed with it
    db.session.expire_all()
    assert db.session.get(Job, job_id).status == "succeeded"
    assert handler_rows() == 1


def test_rows_of_a_job_erased_while_it_ran_are_dropped_with_its_outcome(app, client, accounts):
    # Given a queued job
    job_id = queued_job(client, accounts)
    # When its row is erased (with its learner) while the handler adds a row
    engine.run_job(job_id, adding_a_row(then=erase), "test_handler")
    # Then neither the outcome nor the handler's row was written
    db.session.expire_all()
    assert db.session.get(Job, job_id) is None
    assert handler_rows() == 0


def test_rows_of_an_erased_job_that_used_an_llm_are_dropped_too(app, client, accounts):
    # Given a queued job whose handler calls an LLM (its tokens go on the job's row)
    job_id = queued_job(client, accounts)
    # When its row is erased while the handler adds a row
    engine.run_job(job_id, adding_a_row(then=erase, llm_tokens=5), "test_handler")
    # Then the run ends quietly and the handler's row is not committed
    db.session.expire_all()
    assert db.session.get(Job, job_id) is None
    assert handler_rows() == 0


def test_rows_of_a_run_whose_job_was_taken_over_are_dropped(app, client, accounts):
    # Given a queued job
    job_id = queued_job(client, accounts)
    # When another run takes the job over (its lease expired) while the handler adds a row
    engine.run_job(job_id, adding_a_row(then=take_over, llm_tokens=5), "test_handler")
    # Then the job is left to the other run, untouched, and the handler's row is dropped
    db.session.expire_all()
    job = db.session.get(Job, job_id)
    assert (job.status, job.run_token, job.result, job.llm_usage) == (
        "running",
        "another-run",
        None,
        None,
    )
    assert handler_rows() == 0
