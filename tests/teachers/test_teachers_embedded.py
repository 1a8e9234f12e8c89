"""Embedded mode (SQLite, in-memory broker, in-process worker): a batch of texts runs to
completion and its results export, with no Redis and no PostgreSQL; a recording's
pronunciation is decoded in a child process, not in the API's."""

from __future__ import annotations

import io
import time

import pytest
from flask_migrate import upgrade

from api import create_app
from tests.conftest import make_settings, use_app
from tests.factories import Accounts
from tests.teachers.conftest import AUDIO
from tests.teachers.test_teachers_batches import TEXT


def test_an_embedded_batch_of_texts_completes(app, tmp_path):
    # Given the platform in embedded mode, a teacher with a class of two learners
    settings = make_settings(tmp_path, redis_url=None, database_url="", embedded_services=True)
    embedded = create_app(settings, start_services=False)
    with embedded.app_context():
        upgrade(revision="head")
    from workers.runtime import start_embedded_services

    start_embedded_services(embedded)
    try:
        client = embedded.test_client()
        accounts = Accounts(client)
        admin = accounts.admin()
        learners = [accounts.member(admin, "learner") for _ in range(2)]
        h = admin.headers
        class_id = client.post("/api/v1/classes", json={"name": "A"}, headers=h).get_json()["id"]
        client.post(
            f"/api/v1/classes/{class_id}/members",
            headers=h,
            json={"role": "learner", "emails": [m.email for m in learners]},
        )
        assignment = client.post(
            "/api/v1/assignments",
            headers=h,
            json={"class_id": class_id, "title": "t", "kind": "writing", "language": "en"},
        ).get_json()
        sheet = "learner,text\n" + "".join(f'{m.email},"{TEXT}"\n' for m in learners)
        uploaded = client.post(
            "/api/v1/media",
            headers=h,
            content_type="multipart/form-data",
            data={"file": (io.BytesIO(sheet.encode()), "texts.csv")},
        )

        # When the batch is submitted
        answer = client.post(
            f"/api/v1/assignments/{assignment['id']}/batches",
            headers=h,
            json={"texts_media_id": uploaded.get_json()["id"]},
        )
        assert answer.status_code == 202, answer.get_json()
        deadline = time.monotonic() + 60
        batch = answer.get_json()
        while batch["status"] in ("expanding", "running") and time.monotonic() < deadline:
            batch = client.get(f"{answer.headers['Location']}?wait=5", headers=h).get_json()

        # Then both texts are assessed and exported
        assert batch["status"] == "completed", batch
        assert batch["counts"]["succeeded"] == 2
        exported = client.get(f"/api/v1/assignments/{assignment['id']}/results/export", headers=h)
        assert exported.get_data(as_text=True).count("\n") == 3
    finally:
        embedded.extensions["runtime"].stop()
        use_app(app)


@pytest.mark.slow
@pytest.mark.timeout(1000)
def test_an_embedded_recording_is_decoded_in_a_child_process(app, tmp_path):
    # Given the platform in embedded mode, whose worker shares the API's process
    from pipelines.pronunciation.align import local_aligner
    from pipelines.pronunciation.child import child_aligner
    from workers.runtime import start_embedded_services

    settings = make_settings(tmp_path, redis_url=None, database_url="", embedded_services=True)
    embedded = create_app(settings, start_services=False)
    with embedded.app_context():
        upgrade(revision="head")
    local_aligner.cache_clear()
    start_embedded_services(embedded)
    try:
        client = embedded.test_client()
        accounts = Accounts(client)
        learner = accounts.member(accounts.admin(), "learner")
        recording = io.BytesIO((AUDIO / "en_reading.wav").read_bytes())
        uploaded = client.post(
            "/api/v1/media",
            headers=learner.headers,
            content_type="multipart/form-data",
            data={"file": (recording, "reading.wav")},
        )
        # When a recording is assessed
        answer = client.post(
            "/api/v1/assessments/speaking",
            headers=learner.headers,
            json={"media_id": uploaded.get_json()["id"], "language": "en"},
        )
        assert answer.status_code == 202, answer.get_json()
        deadline = time.monotonic() + 900
        job = answer.get_json()
        while job["status"] not in ("succeeded", "failed") and time.monotonic() < deadline:
            job = client.get(
                f"{answer.headers['Location']}?wait=5", headers=learner.headers
            ).get_json()
        # Then its pronunciation is judged, by the aligner of a child process: this process
        # never loaded one
        assert job["status"] == "succeeded", job["error"]
        assert job["result"]["pronunciation"]["method"] == "gop-pocketsphinx-whisper-v5"
        assert local_aligner.cache_info().currsize == 0
        assert child_aligner()._pool is not None
    finally:
        embedded.extensions["runtime"].stop()
        use_app(app)
