"""Signed URLs never reach the logs: neither the local backend's tokens nor S3 signatures."""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest

from api.logs import JsonFormatter, redact
from tests.mediasamples import wav_of_seconds


@pytest.fixture
def json_log() -> Iterator[io.StringIO]:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    yield stream
    root.removeHandler(handler)
    root.setLevel(level)


def test_presigned_upload_tokens_are_not_in_the_access_log(client, accounts, caplog, json_log):
    # Given a presigned upload URL, used once
    caplog.set_level(logging.DEBUG)
    teacher = accounts.admin()
    body = client.post(
        "/api/v1/media/uploads",
        headers=teacher.headers,
        json={"filename": "a.wav", "kind": "audio"},
    ).get_json()
    path = urlsplit(body["upload"]["url"]).path
    token = path.rsplit("/", 1)[1]
    assert client.put(path, data=wav_of_seconds(0.5)).status_code == 200
    # When the logs are read, as records and as written
    written = json_log.getvalue()
    raw = "\n".join(f"{r.getMessage()} {vars(r)}" for r in caplog.records)
    # Then the request is logged without its token, and no part of the token appears
    assert "PUT /api/v1/media/local/[redacted] 200" in written
    for part in token.split("."):
        assert part not in written
        assert part not in raw


@pytest.mark.parametrize(
    "text",
    [
        "https://s3.example/media/a.wav?X-Amz-Algorithm=AWS4-HMAC-SHA256&"
        "X-Amz-Credential=AKIAEXAMPLE%2F20260101%2Fus-east-1%2Fs3%2Faws4_request&"
        "X-Amz-Signature=0123456789abcdef0123456789abcdef",
    ],
)
def test_s3_presigned_signatures_are_redacted(text):
    masked = redact(text)
    assert "0123456789abcdef" not in masked
    assert "AKIAEXAMPLE" not in masked
