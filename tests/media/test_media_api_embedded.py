"""Embedded mode: media on local disk with SQLite and the in-process worker."""

from __future__ import annotations

import io
import zipfile

from flask_migrate import upgrade
from sqlalchemy import select

from api import create_app
from storage.db import db
from storage.models.learning import Word
from tests.conftest import make_settings, use_app
from tests.factories import Accounts
from tests.jobs.helpers import wait_job


def test_embedded_upload_import_download_and_delete(app, tmp_path, media_samples):
    # Given the platform in embedded mode (no Redis, SQLite, local media folder)
    settings = make_settings(tmp_path, redis_url=None, database_url="", embedded_services=True)
    embedded = create_app(settings, start_services=False)
    with embedded.app_context():
        upgrade(revision="head")
    from workers.runtime import start_embedded_services

    start_embedded_services(embedded)
    try:
        client = embedded.test_client()
        teacher = Accounts(client).admin()
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w") as archive:
            archive.writestr("manifest.csv", "filename,word,language\nhi.wav,hi,en\n")
            archive.writestr("hi.wav", media_samples["wav"])
        uploaded = client.post(
            "/api/v1/media",
            headers=teacher.headers,
            content_type="multipart/form-data",
            data={"file": (io.BytesIO(buffer.getvalue()), "words.zip")},
        )
        assert uploaded.status_code == 201, uploaded.get_json()

        # When the archive is imported by the in-process worker
        submitted = client.post(
            "/api/v1/media/imports",
            headers=teacher.headers,
            json={"archive_media_id": uploaded.get_json()["id"]},
        )
        job = wait_job(client, submitted.get_json()["id"], teacher.headers)

        # Then the recording is stored and served from disk with Range
        assert job["status"] == "succeeded", job
        media_id = job["result"]["items"][0]["media_id"]
        part = client.get(
            f"/api/v1/media/{media_id}/content", headers={**teacher.headers, "Range": "bytes=0-3"}
        )
        assert (part.status_code, part.data) == (206, b"RIFF")
        listed = client.get("/api/v1/media", headers=teacher.headers).get_json()
        assert listed["pagination"]["total_items"] == 2

        # And deleting it removes it from its word too (a JSON list on SQLite)
        deleted = client.delete(f"/api/v1/media/{media_id}", headers=teacher.headers)
        assert deleted.status_code == 204
        with embedded.app_context():
            assert db.session.scalars(select(Word.media_ids)).all() == [[]]
    finally:
        embedded.extensions["runtime"].stop()
        use_app(app)
