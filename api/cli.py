"""Operator commands: `flask jobs stats`, `flask jobs requeue`, `flask secrets reencrypt`,
`flask lti rotate-key`, `flask usage set-plan`, `flask content load-demo`."""

from __future__ import annotations

import json
from datetime import datetime

import click
from flask import Flask
from flask.cli import AppGroup

from api.admin import service
from core.settings import PLAN_NAMES
from storage.db import db

jobs_cli = AppGroup("jobs", help="Inspect and re-queue jobs.")


@jobs_cli.command("stats")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def stats(as_json: bool) -> None:
    """Queue depth and job counts of every queue, for all organisations."""
    rows = service.queue_stats(db.session, None)
    if as_json:
        click.echo(json.dumps(rows, indent=2))
        return
    click.echo(
        f"{'queue':<24}{'ready':>8}{'delayed':>9}{'dead':>6}{'queued':>8}"
        f"{'running':>9}{'unsent':>8}{'oldest s':>10}"
    )
    for r in rows:
        oldest = "-" if r["oldest_queued_seconds"] is None else f"{r['oldest_queued_seconds']:.0f}"
        click.echo(
            f"{r['queue']:<24}{_n(r['ready']):>8}{_n(r['delayed']):>9}"
            f"{_n(r['dead_lettered']):>6}{r['queued_jobs']:>8}{r['running_jobs']:>9}"
            f"{r['unsent_jobs']:>8}{oldest:>10}"
        )


def _n(value: int | None) -> str:
    return "-" if value is None else str(value)


@jobs_cli.command("requeue")
@click.option(
    "--status",
    "statuses",
    multiple=True,
    default=["failed"],
    type=click.Choice(["failed", "canceled", "queued"]),
)
@click.option("--type", "job_type", default=None, help="Only jobs of this type.")
@click.option("--org", "organisation_id", default=None, help="Only this organisation's jobs.")
@click.option("--created-before", type=click.DateTime(), default=None)
@click.option("--limit", type=int, default=1000, show_default=True)
def requeue(
    statuses: tuple[str, ...],
    job_type: str | None,
    organisation_id: str | None,
    created_before: datetime | None,
    limit: int,
) -> None:
    """Put matching jobs back in their queue."""
    if created_before is not None and created_before.tzinfo is None:
        from datetime import UTC

        created_before = created_before.replace(tzinfo=UTC)
    ids = service.requeue(
        db.session,
        organisation_id,
        statuses=list(statuses),
        job_type=job_type,
        created_before=created_before,
        limit=limit,
    )
    db.session.commit()
    click.echo(f"re-queued {len(ids)} job(s)")


secrets_cli = AppGroup("secrets", help="Secrets stored encrypted.")


@secrets_cli.command("reencrypt")
def reencrypt() -> None:
    """Encrypt every stored secret with the first of ENCRYPTION_KEYS (after adding a key, or
    for rows written before encryption at rest)."""
    from flask import current_app

    from storage.secrets import reencrypt_all

    counts = reencrypt_all(db.session, current_app.extensions["secret_box"])
    db.session.commit()
    for column, count in counts.items():
        click.echo(f"{column}: {count} re-encrypted")


lti_cli = AppGroup("lti", help="The LTI tool's signing keys.")


@lti_cli.command("rotate-key")
def rotate_key() -> None:
    """Make a new signing key; the old one stays in the JWKS for its grace period."""
    from storage import lti

    key = lti.rotate_key(db.session)
    db.session.commit()
    click.echo(f"new signing key {key.kid}")


usage_cli = AppGroup("usage", help="Plans and usage.")


@usage_cli.command("set-plan")
@click.argument("organisation_id")
@click.argument("plan", type=click.Choice(["default", *PLAN_NAMES]))
def set_plan(organisation_id: str, plan: str) -> None:
    """Put an organisation on a plan (`default`: the DEFAULT_PLAN setting)."""
    from storage import audit
    from storage.models.identity import Organisation

    organisation = db.session.get(Organisation, organisation_id)
    if organisation is None:
        raise click.ClickException(f"no organisation {organisation_id}")
    before = organisation.plan
    organisation.plan = None if plan == "default" else plan
    audit.record(
        db.session,
        audit.ActedBy(organisation.id, "system", id="cli"),
        "plan.changed",
        target_type="organisation",
        target_id=organisation.id,
        before={"plan": before},
        after={"plan": organisation.plan},
    )
    db.session.commit()
    click.echo(f"{organisation_id}: plan {plan}")


content_cli = AppGroup("content", help="Learning content.")


@content_cli.command("load-demo")
@click.option(
    "--org",
    "organisation_id",
    default=None,
    help="The organisation (default: the only one there is).",
)
def load_demo(organisation_id: str | None) -> None:
    """Install the demo course (English A1-A2, every exercise type) in an organisation."""
    from sqlalchemy import select

    from storage.content.packages import load_demo as install
    from storage.models.identity import Organisation, User

    if organisation_id is None:
        found = db.session.scalars(select(Organisation.id).limit(2)).all()
        if len(found) != 1:
            raise click.UsageError(
                "Name the organisation with --org."
                if found
                else "There is no organisation yet: register first."
            )
        organisation_id = found[0]
    elif db.session.get(Organisation, organisation_id) is None:
        raise click.UsageError(f"No organisation {organisation_id!r}.")
    admin = db.session.scalar(
        select(User.id)
        .where(User.organisation_id == organisation_id, User.role == "admin")
        .limit(1)
    )
    course = install(db.session, organisation_id, admin)
    db.session.commit()
    if course is None:
        click.echo("the demo course is already installed")
    else:
        click.echo(f"demo course {course.id} installed: {course.title}")


def register_cli(app: Flask) -> None:
    app.cli.add_command(usage_cli)
    app.cli.add_command(content_cli)
    app.cli.add_command(jobs_cli)
    app.cli.add_command(secrets_cli)
    app.cli.add_command(lti_cli)
