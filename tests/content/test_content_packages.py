"""Content packages: the demo course, export, and import as a job (all or nothing, with the
bulk-import safety rules for zips)."""

from __future__ import annotations

import io
import json
import time
import zipfile

from sqlalchemy import func, select

from pipelines.grading import ITEM_TYPES
from storage.db import db
from storage.models.content import Course


def _courses() -> int:
    db.session.rollback()
    return db.session.scalar(select(func.count()).select_from(Course))


def _upload_zip(client, account, files: dict[str, bytes]) -> str:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    answer = client.post(
        "/api/v1/media",
        headers=account.headers,
        content_type="multipart/form-data",
        data={"kind": "archive", "file": (io.BytesIO(buffer.getvalue()), "course.zip")},
    )
    assert answer.status_code == 201, answer.get_json()
    return answer.get_json()["id"]


def _import(client, account, body: dict) -> dict:
    answer = client.post("/api/v1/courses/imports", headers=account.headers, json=body)
    assert answer.status_code == 202, answer.get_json()
    deadline = time.monotonic() + 120
    while True:
        job = client.get(
            f"{answer.headers['Location']}?wait=20", headers=account.headers
        ).get_json()
        if job["status"] in ("succeeded", "failed") or time.monotonic() > deadline:
            return job


def test_the_demo_course_installs_once_with_every_exercise_type(app, client, accounts):
    # Given an organisation with an admin and a learner
    admin = accounts.admin()
    learner = accounts.member(admin, "learner")
    # When the operator installs the demo course, twice
    runner = app.test_cli_runner()
    first = runner.invoke(args=["content", "load-demo"])
    second = runner.invoke(args=["content", "load-demo"])
    # Then it is installed once
    assert first.exit_code == 0, first.output
    assert "installed" in first.output and "already installed" in second.output
    courses = client.get("/api/v1/courses", headers=learner.headers).get_json()["items"]
    assert [(c["language"], c["level_min"], c["level_max"]) for c in courses] == [
        ("en", "A1", "A2")
    ]
    # And the learner finds every exercise type in it, a spoken item among them
    outline = client.get(
        f"/api/v1/courses/{courses[0]['id']}/outline", headers=learner.headers
    ).get_json()
    types = set()
    for chapter in outline["chapters"]:
        for lesson in chapter["lessons"]:
            for exercise_id in lesson["exercise_ids"]:
                exercise = client.get(
                    f"/api/v1/exercises/{exercise_id}", headers=learner.headers
                ).get_json()
                types |= {item["type"] for item in exercise["items"]}
    assert types == set(ITEM_TYPES)
    # And it is searchable
    found = client.get(
        "/api/v1/search", headers=learner.headers, query_string={"q": "café"}
    ).get_json()
    assert any(hit["type"] == "lesson" for hit in found["results"])


def test_an_exported_course_imports_again_through_the_job(app, client, accounts, worker):
    # Given the demo course, exported as a package
    admin = accounts.admin()
    assert app.test_cli_runner().invoke(args=["content", "load-demo"]).exit_code == 0
    course_id = client.get("/api/v1/courses", headers=admin.headers).get_json()["items"][0]["id"]
    exported = client.get(f"/api/v1/courses/{course_id}/export", headers=admin.headers)
    assert exported.status_code == 200
    package = exported.get_json()
    package["course"]["title"] = "Everyday English, second run"

    # When it is imported inline, and zipped with an image its first lesson names
    job = _import(client, admin, {"package": package})
    png = bytes.fromhex(
        "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
        "1f15c4890000000d49444154789c6360000002000154a24f5d00000000"
        "49454e44ae426082"
    )
    package["course"]["title"] = "Everyday English, zipped"
    package["chapters"][0]["lessons"][0]["media"] = ["media/wave.png"]
    archive_id = _upload_zip(
        client, admin, {"course.json": json.dumps(package).encode(), "media/wave.png": png}
    )
    zipped = _import(client, admin, {"archive_media_id": archive_id})

    # Then both jobs made a course with the same outline
    assert job["status"] == "succeeded", job
    assert zipped["status"] == "succeeded", zipped
    assert (job["result"]["lessons"], job["result"]["exercises"]) == (4, 4)
    assert zipped["result"]["media"] == 1
    outline = client.get(
        f"/api/v1/courses/{zipped['result']['course_id']}/outline", headers=admin.headers
    ).get_json()
    first_lesson = client.get(
        f"/api/v1/lessons/{outline['chapters'][0]['lessons'][0]['id']}", headers=admin.headers
    ).get_json()
    assert len(first_lesson["media_ids"]) == 1
    media = client.get(f"/api/v1/media/{first_lesson['media_ids'][0]}", headers=admin.headers)
    assert media.get_json()["kind"] == "image"
    assert _courses() == 3


def test_bad_packages_import_nothing(client, accounts, worker):
    admin = accounts.admin()
    # A package with problems is refused at once, each problem with its path
    bad = {
        "format": "course-package/1",
        "course": {"title": "x", "language": "en"},
        "chapters": [
            {
                "title": "c",
                "lessons": [
                    {
                        "title": "l",
                        "exercises": [
                            {
                                "title": "e",
                                "items": [
                                    {
                                        "type": "multiple_choice",
                                        "options": ["a", "b"],
                                        "correct": [],
                                    }
                                ],
                            }
                        ],
                    }
                ],
            }
        ],
    }
    refused = client.post("/api/v1/courses/imports", headers=admin.headers, json={"package": bad})
    assert refused.status_code == 422
    assert refused.get_json()["code"] == "package_invalid"
    assert refused.get_json()["problems"][0]["path"] == (
        "chapters[0].lessons[0].exercises[0].items[i1]"
    )
    # A zip with an unsafe path fails the job and leaves no course
    unsafe = _upload_zip(client, admin, {"course.json": b"{}", "../evil.txt": b"x"})
    job = _import(client, admin, {"archive_media_id": unsafe})
    assert (job["status"], job["error"]["code"]) == ("failed", "unsafe_path")
    # A zip whose package names a missing file, or is not JSON, fails the same way
    package = dict(
        bad, chapters=[{"title": "c", "lessons": [{"title": "l", "media": ["media/missing.mp3"]}]}]
    )
    missing = _upload_zip(client, admin, {"course.json": json.dumps(package).encode()})
    job = _import(client, admin, {"archive_media_id": missing})
    assert (job["status"], job["error"]["code"]) == ("failed", "package_invalid")
    assert job["error"]["details"]["problems"][0]["code"] == "package_media_missing"
    garbage = _upload_zip(client, admin, {"course.json": b"{not json"})
    job = _import(client, admin, {"archive_media_id": garbage})
    assert (job["status"], job["error"]["code"]) == ("failed", "package_not_json")
    assert _courses() == 0
