"""Fixtures of the retention and erasure tests: an app whose media live on the session's S3
server (a fresh bucket), with a real worker, and helpers to age rows."""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import timedelta

import pytest
from flask import Flask
from sqlalchemy import update

from storage.db import db, utcnow
from storage.models.jobs import Job
from storage.models.media import Media
from storage.objectstore import ObjectStore
from tests.factories import Account, Accounts
from tests.mediasamples import wav_of_seconds


@dataclass
class S3App:
    app: Flask
    client: object
    accounts: Accounts

    @property
    def store(self) -> ObjectStore:
        return self.app.extensions["runtime"].object_store

    def keys(self) -> set[str]:
        return set(self.store.list_keys(""))

    def record(self, learner: Account) -> dict:
        """A recording uploaded by the learner (private media)."""
        answer = self.client.post(
            "/api/v1/media",
            headers=learner.headers,
            content_type="multipart/form-data",
            data={"file": (io.BytesIO(wav_of_seconds(0.5)), "take.wav")},
        )
        assert answer.status_code == 201, answer.get_json()
        return answer.get_json()

    def ping(self, admin: Account, learner: Account | None = None) -> dict:
        """A finished diagnostic job (about `learner` when given)."""
        body = {"learner": learner.id} if learner else {}
        answer = self.client.post(
            "/api/v1/jobs/ping", json=body, headers={**admin.headers, "Prefer": "wait=20"}
        )
        assert answer.status_code == 200, answer.get_json()
        assert answer.get_json()["status"] == "succeeded"
        return answer.get_json()


def age_media(media_id: str, days: int) -> None:
    db.session.execute(
        update(Media).where(Media.id == media_id).values(created_at=utcnow() - timedelta(days=days))
    )
    db.session.commit()


def age_job(job_id: str, days: int) -> None:
    db.session.execute(
        update(Job).where(Job.id == job_id).values(finished_at=utcnow() - timedelta(days=days))
    )
    db.session.commit()


@pytest.fixture
def s3_app(app_with, start_worker, s3_server) -> S3App:
    other = app_with(
        storage_backend="s3",
        s3_endpoint=s3_server.url,
        s3_access_key=s3_server.access_key,
        s3_secret_key=s3_server.secret_key,
        s3_region=s3_server.region,
        s3_bucket=s3_server.new_bucket_name("keep"),
        s3_secure=False,
        retention_batch_size=2,
    )
    start_worker(other)
    client = other.test_client()
    return S3App(other, client, Accounts(client))
