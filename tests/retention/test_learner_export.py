"""Exporting a learner's data for a subject access request: a job builds a zip of every row of
theirs across the platform's tables (the same list erasure deletes, derived from the
schema) and their recordings, kept in the bucket behind short-lived links; only an admin or
the learner may ask; the audit log records each step; exports expire, and go with an
erasure."""

from __future__ import annotations

import io
import json
import zipfile
from datetime import timedelta

import pytest
import requests
from sqlalchemy import Column, ForeignKey, MetaData, String, Table, select, update

from storage import learner_data
from storage.db import db, utcnow
from storage.ids import new_id
from storage.models.jobs import Job
from storage.models.lms import LmsIdentity
from storage.objectstore.keys import export_prefix
from tests.api.apihelpers import assert_problem
from tests.retention.test_erasure import TEXT, erase

USERS = "users"


def ask_export(s3_app, who, user_id: str, wait: int = 30):
    return s3_app.client.post(
        f"/api/v1/learners/{user_id}/exports", headers={**who.headers, "Prefer": f"wait={wait}"}
    )


def download(s3_app, who, user_id: str, job_id: str):
    return s3_app.client.get(
        f"/api/v1/learners/{user_id}/exports/{job_id}/download", headers=who.headers
    )


def fetch_zip(s3_app, who, user_id: str, job_id: str) -> zipfile.ZipFile:
    answer = download(s3_app, who, user_id, job_id)
    assert answer.status_code == 302, answer.get_json()
    reply = requests.get(answer.headers["Location"], timeout=30)
    assert reply.status_code == 200
    return zipfile.ZipFile(io.BytesIO(reply.content))


def user_columns() -> list[tuple[Table, Column]]:
    """Every column of the schema that names a user by foreign key, read from the metadata
    itself (not from storage.learner_data)."""
    return [
        (table, column)
        for table in db.metadata.sorted_tables
        for column in table.columns
        if any(fk.column.table.name == USERS for fk in column.foreign_keys)
    ]


def primary_key(table: Table, row: dict) -> tuple:
    return tuple(str(row[c.name]) for c in table.primary_key.columns)


def test_every_user_column_is_classified_and_every_learner_table_is_exported_and_erased():
    # Given the schema's foreign keys to users
    holdings = learner_data.holdings()
    for table, column in user_columns():
        # Then each is either about the user (its table is the learner's) or names staff
        assert column.name in learner_data.SUBJECT_COLUMNS | learner_data.ACTOR_COLUMNS, (
            f"{table.name}.{column.name}"
        )
        if column.name in learner_data.SUBJECT_COLUMNS:
            assert table.name in holdings
    # And a table hanging by ON DELETE CASCADE from a learner's table is theirs too
    for table in db.metadata.sorted_tables:
        for column in table.columns:
            for fk in column.foreign_keys:
                if (
                    fk.ondelete == "CASCADE"
                    and fk.column.table.name in holdings
                    and fk.column.table.name != "organisations"
                ):
                    assert table.name in holdings, f"{table.name}.{column.name}"
    # And parents come before children (the export's order; erasure deletes in reverse)
    order = list(holdings)
    for name, holding in holdings.items():
        assert all(order.index(parent) < order.index(name) for _, parent in holding.parents)


def test_a_new_user_column_that_nobody_classified_stops_the_derivation():
    # Given a table added with a foreign key to users under a name nobody classified
    metadata = MetaData()
    Table(USERS, metadata, Column("id", String(40), primary_key=True))
    table = Table(
        "certificates",
        metadata,
        Column("id", String(40), primary_key=True),
        Column("signed_for", String(40), ForeignKey("users.id")),
    )
    # Then the list cannot be derived until someone says what the column is
    with pytest.raises(learner_data.Unclassified, match="certificates.signed_for"):
        learner_data._classify(table)


def test_erasure_deletes_every_learner_table_but_those_kept(s3_app):
    # Given a learner with nothing but an account
    admin = s3_app.accounts.admin()
    learner = s3_app.accounts.member(admin, "learner")
    # When they are erased
    answer = erase(s3_app, admin, learner.id)
    # Then the erasure went through every learner table of the shared list
    assert answer.status_code == 200, answer.get_json()
    erased = answer.get_json()["result"]["erased"]
    expected = set(learner_data.holdings()) - set(learner_data.KEPT) - {"media", USERS}
    assert expected <= set(erased), expected - set(erased)
    assert erased["account"] == 1 and erased["refresh_tokens"] >= 1


def _learner_with_data(s3_app, admin, learner) -> dict:
    c = s3_app.client
    recordings = [s3_app.record(learner) for _ in range(2)]
    assessed = c.post(
        "/api/v1/assessments/writing", json=TEXT, headers={**learner.headers, "Prefer": "wait=30"}
    )
    assert assessed.get_json()["status"] == "succeeded", assessed.get_json()
    s3_app.ping(admin, learner)
    assert c.post("/api/v1/study-sessions", json={}, headers=learner.headers).status_code == 201
    db.session.add(
        LmsIdentity(
            id=new_id("lmi"),
            organisation_id=learner.organisation_id,
            lms="moodle",
            external_id=f"s-{learner.id}",
            user_id=learner.id,
        )
    )
    db.session.commit()
    return {m["id"]: s3_app.store.get(_object_key(m["id"])).read() for m in recordings}


def _object_key(media_id: str) -> str:
    return db.session.scalar(
        select(db.metadata.tables["media"].c.object_key).where(
            db.metadata.tables["media"].c.id == media_id
        )
    )


def test_a_learner_exports_every_row_and_recording_of_theirs_and_nothing_of_others(s3_app):
    c = s3_app.client
    # Given a learner and a classmate with recordings, an assessed text whose events go to a
    # webhook, a diagnostic job, a study session and an LMS id
    admin = s3_app.accounts.admin()
    assert (
        c.post(
            "/api/v1/webhooks", json={"url": "https://partner.example/hooks"}, headers=admin.headers
        ).status_code
        == 201
    )
    learner, classmate = (s3_app.accounts.member(admin, "learner") for _ in range(2))
    files = _learner_with_data(s3_app, admin, learner)
    _learner_with_data(s3_app, admin, classmate)

    # When the learner asks for their data and downloads it
    answer = ask_export(s3_app, learner, learner.id)
    assert answer.status_code == 200, answer.get_json()
    job = answer.get_json()
    assert (job["type"], job["status"]) == ("learner_export", "succeeded"), job
    archive = fetch_zip(s3_app, learner, learner.id, job["id"])

    # Then the zip has one file per learner table of the shared list, and a manifest
    manifest = json.loads(archive.read("manifest.json"))
    assert set(manifest["tables"]) == set(learner_data.holdings())
    data = {name: json.loads(archive.read(f"data/{name}.json")) for name in learner_data.holdings()}
    assert job["result"]["tables"] == {name: len(rows) for name, rows in data.items()}
    # And every row of the schema that names the learner is in it, found by a scan of each
    # foreign key to users (independent of the list), but the usage the export itself
    # recorded when it ended
    db.session.expire_all()
    scanned = 0
    for table, column in user_columns():
        for row in db.session.execute(select(table).where(column == learner.id)).mappings():
            if row.get("job_id") == job["id"]:
                continue
            exported = {primary_key(table, r) for r in data.get(table.name, [])}
            assert primary_key(table, row) in exported, f"{table.name}.{column.name}"
            scanned += 1
    assert scanned >= 10
    # And rows hanging from theirs: the webhook deliveries of their events
    events = {e["id"] for e in data["webhook_events"]}
    assert events and {d["event_id"] for d in data["webhook_deliveries"]} == events
    assert data["webhook_deliveries"]
    assert len(data["jobs"]) == 3  # the assessment, the diagnostic and this export
    # And their recordings, byte for byte
    by_id = {m["id"]: m for m in manifest["media"]}
    assert set(by_id) == set(files)
    for media_id, body in files.items():
        assert archive.read(by_id[media_id]["file"]) == body
    # And nothing of the classmate's, and no credential
    text = "".join(archive.read(n).decode() for n in archive.namelist() if n.endswith(".json"))
    assert classmate.id not in text and classmate.email not in text
    assert learner.email in text
    assert "password_hash" not in text and "token_hash" not in text
    # And the audit log has the request, the export and the download, without the data
    log = c.get(
        "/api/v1/admin/audit", headers=admin.headers, query_string={"target_id": learner.id}
    ).get_json()["items"]
    assert [(r["action"], r["actor"]["type"]) for r in log][:3] == [
        ("learner.export_downloaded", "user"),
        ("learner.exported", "system"),
        ("learner.export_requested", "user"),
    ]
    assert learner.email not in json.dumps(log)


def test_only_an_admin_or_the_learner_exports_and_only_inside_the_organisation(s3_app):
    c = s3_app.client
    admin = s3_app.accounts.admin()
    teacher = s3_app.accounts.member(admin, "teacher")
    learner, classmate = (s3_app.accounts.member(admin, "learner") for _ in range(2))
    outsider = s3_app.accounts.admin()
    # When a classmate, a teacher or another organisation's admin asks, or an admin names a
    # teacher: each is refused
    assert_problem(ask_export(s3_app, classmate, learner.id), 404, "user_not_found")
    assert_problem(ask_export(s3_app, teacher, learner.id), 403, "insufficient_role")
    assert_problem(ask_export(s3_app, outsider, learner.id), 404, "user_not_found")
    assert_problem(ask_export(s3_app, admin, teacher.id), 409, "export_not_learner")
    # And an admin's export of the learner is theirs to read, not the classmate's
    answer = ask_export(s3_app, admin, learner.id)
    assert answer.status_code == 200, answer.get_json()
    job_id = answer.get_json()["id"]
    assert c.get(f"/api/v1/jobs/{job_id}", headers=learner.headers).status_code == 200
    assert download(s3_app, learner, learner.id, job_id).status_code == 302
    assert_problem(download(s3_app, classmate, learner.id, job_id), 404, "user_not_found")
    assert_problem(download(s3_app, classmate, classmate.id, job_id), 404, "export_not_found")
    assert_problem(download(s3_app, outsider, learner.id, job_id), 404, "user_not_found")


def test_an_export_expires_and_the_sweep_removes_it(s3_app):
    from workers import retention

    # Given a finished export
    admin = s3_app.accounts.admin()
    learner = s3_app.accounts.member(admin, "learner")
    job_id = ask_export(s3_app, admin, learner.id).get_json()["id"]
    prefix = export_prefix(learner.organisation_id, learner.id)
    assert len(list(s3_app.store.list_keys(prefix))) == 1
    # When it is older than LEARNER_EXPORT_DAYS (7) and the retention sweep runs
    db.session.execute(
        update(Job)
        .where(Job.id == job_id)
        .values(finished_at=utcnow() - timedelta(days=7, minutes=1))
    )
    db.session.commit()
    assert_problem(download(s3_app, admin, learner.id, job_id), 410, "export_expired")
    with s3_app.app.app_context():
        retention.sweep()
    # Then the zip is gone from the bucket and the job says so
    assert list(s3_app.store.list_keys(prefix)) == []
    db.session.expire_all()
    assert db.session.get(Job, job_id).result["expired"] is True
    assert_problem(download(s3_app, admin, learner.id, job_id), 410, "export_expired")


def test_an_erasure_removes_the_learners_exports(s3_app):
    # Given a learner with a finished export
    admin = s3_app.accounts.admin()
    learner = s3_app.accounts.member(admin, "learner")
    assert ask_export(s3_app, learner, learner.id).get_json()["status"] == "succeeded"
    prefix = export_prefix(learner.organisation_id, learner.id)
    assert len(list(s3_app.store.list_keys(prefix))) == 1
    # When they are erased
    answer = erase(s3_app, admin, learner.id)
    # Then the export is gone with the rest
    assert answer.get_json()["result"]["erased"]["exports"] == 1
    assert list(s3_app.store.list_keys(prefix)) == []


def test_an_export_that_finds_an_erasure_under_way_leaves_no_zip(s3_app):
    # Given a learner whose erasure was asked for but has not run yet (its job queued, not
    # sent)
    admin = s3_app.accounts.admin()
    learner = s3_app.accounts.member(admin, "learner")
    db.session.add(
        Job(
            id=new_id("job"),
            organisation_id=learner.organisation_id,
            type="learner_erasure",
            queue="media",
            actor="learner_erasure",
            status="queued",
            input={"user_id": learner.id},
            max_attempts=5,
            lease_seconds=300,
            owner_user_id=admin.id,
            created_at=utcnow(),
        )
    )
    db.session.commit()
    # When an export of theirs runs
    answer = ask_export(s3_app, admin, learner.id)
    # Then it fails, and left nothing in the bucket
    job = answer.get_json()
    assert (job["status"], job["error"]["code"]) == ("failed", "learner_erased"), job
    assert list(s3_app.store.list_keys(export_prefix(learner.organisation_id, learner.id))) == []
