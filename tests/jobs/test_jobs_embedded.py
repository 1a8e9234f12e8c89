"""Embedded mode: SQLite, in-memory broker, worker and scheduler inside the API process."""

from __future__ import annotations

from flask_migrate import upgrade

from api import create_app
from tests.conftest import make_settings, use_app
from tests.factories import Accounts
from tests.jobs.helpers import submit_ping, wait_job


def test_embedded_mode_runs_a_job_end_to_end(app, tmp_path):
    # Given the platform in embedded mode (no Redis, SQLite, local media)
    settings = make_settings(tmp_path, redis_url=None, database_url="", embedded_services=True)
    assert settings.embedded and settings.database_url.startswith("sqlite")
    embedded = create_app(settings, start_services=False)
    with embedded.app_context():
        upgrade(revision="head")
    from workers.runtime import start_embedded_services

    start_embedded_services(embedded)
    try:
        client = embedded.test_client()
        admin = Accounts(client).admin()
        # When a job is submitted
        job = submit_ping(client, admin.headers, sleep_ms=20, fail_times=1).get_json()
        # Then the in-process worker runs it, retry included
        done = wait_job(client, job["id"], admin.headers)
        assert done["status"] == "succeeded", done
        assert done["attempts"] == 2
    finally:
        embedded.extensions["runtime"].stop()
        use_app(app)
