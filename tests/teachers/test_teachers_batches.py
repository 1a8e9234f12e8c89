"""Batch assessment: many texts or recordings for one assignment, one job per item, with
per-item errors, progress and a `batch.completed` event; then review and export."""

from __future__ import annotations

import csv
import io
import time

from openpyxl import Workbook, load_workbook
from sqlalchemy import select

from storage import quotas
from storage.db import db
from storage.models.learning import LearningProfile
from storage.models.webhooks import WebhookEvent
from tests.teachers.conftest import (
    API,
    AUDIO,
    assert_problem,
    create_assignment,
    make_zip,
    wait_for_batch,
)
from tests.usage.test_usage import set_plan

TEXT = (
    "Last weekend I visited my grandmother in the countryside. We cooked a big lunch "
    "together and then we walked along the river because the weather was lovely."
)


def events(organisation_id: str, event_type: str) -> list[WebhookEvent]:
    db.session.expire_all()
    return list(
        db.session.scalars(
            select(WebhookEvent).where(
                WebhookEvent.organisation_id == organisation_id, WebhookEvent.type == event_type
            )
        )
    )


def test_a_csv_of_texts_is_assessed_reviewed_and_exported(client, accounts, school, upload, worker):
    # Given a writing assignment, a learner outside the class, and a sheet of texts with
    # three good rows, an unknown learner, a learner of another class and a row with no text
    s = school(learners=3)
    outsider = accounts.member(s.admin, "learner")
    assignment = create_assignment(client, s.teacher, s.class_id)
    rows = (
        [("learner", "text")]
        + [(m.email, TEXT) for m in s.learners]
        + [("ghost@example.test", TEXT), (outsider.email, TEXT), (s.learners[0].email, "")]
    )
    buffer = io.StringIO()
    csv.writer(buffer).writerows(rows)
    sheet = upload(s.teacher, buffer.getvalue().encode(), "texts.csv")

    # When the teacher submits the batch (twice, as a retry with the same Idempotency-Key)
    keyed = {**s.teacher.headers, "Idempotency-Key": "batch-1"}
    answer = client.post(
        f"{API}/assignments/{assignment['id']}/batches",
        json={"texts_media_id": sheet["id"]},
        headers=keyed,
    )
    again = client.post(
        f"{API}/assignments/{assignment['id']}/batches",
        json={"texts_media_id": sheet["id"]},
        headers=keyed,
    )
    assert again.get_json()["id"] == answer.get_json()["id"]

    # Then it is accepted, and long polling sees it complete
    assert answer.status_code == 202, answer.get_json()
    assert answer.get_json()["status"] == "expanding"
    batch = wait_for_batch(client, answer.headers["Location"], s.teacher.headers)
    assert batch["status"] == "completed", batch
    assert batch["counts"] == {
        "total": 6,
        "error": 3,
        "queued": 0,
        "running": 0,
        "succeeded": 3,
        "failed": 0,
        "canceled": 0,
    }

    # And each item says what became of it
    items = client.get(f"{answer.headers['Location']}/items", headers=s.teacher.headers)
    codes = [
        (i["learner_email"], i["status"], (i["error"] or {}).get("code"))
        for i in items.get_json()["items"]
    ]
    assert codes == [(m.email, "succeeded", None) for m in s.learners] + [
        (None, "error", "learner_unknown"),
        (outsider.email, "error", "learner_not_in_class"),
        (None, "error", "missing_value"),
    ]
    errors = client.get(
        f"{answer.headers['Location']}/items?status=error", headers=s.teacher.headers
    ).get_json()
    assert errors["pagination"]["total_items"] == 3

    # And one batch.completed event was recorded with the counts
    completed = events(s.teacher.organisation_id, "batch.completed")
    assert len(completed) == 1 and completed[0].data["counts"]["succeeded"] == 3

    # When the teacher overrides one learner's level with a comment
    results = client.get(
        f"{API}/assignments/{assignment['id']}/results?status=succeeded", headers=s.teacher.headers
    ).get_json()["items"]
    first = results[0]
    assert first["ai_level"] and first["final_level"] == first["ai_level"]
    path = f"{API}/assignments/{assignment['id']}/results/{first['job_id']}/reviews"
    sub_score = sorted(first["ai_scores"])[0]
    reviewed = client.post(
        path,
        headers=s.teacher.headers,
        json={"level": "C1", "scores": {sub_score: 90}, "comment": "Rich vocabulary, well linked."},
    )

    # Then the review keeps the AI result beside it, and who made it
    assert reviewed.status_code == 201, reviewed.get_json()
    review = reviewed.get_json()
    assert (review["level"], review["ai_level"]) == ("C1", first["ai_level"])
    assert review["scores"][sub_score] == 90
    assert review["ai_scores"] == first["ai_scores"]
    assert review["reviewer_id"] == s.teacher.id
    history = client.get(path, headers=s.teacher.headers).get_json()["items"]
    assert [h["id"] for h in history] == [review["id"]]
    assert events(s.teacher.organisation_id, "result.reviewed")[0].data["reviewed"]["level"] == "C1"
    # And the reviewed level is the learner's level; the jobs were the learners', not the
    # teacher's
    db.session.expire_all()
    profile = db.session.scalars(
        select(LearningProfile).where(
            LearningProfile.user_id == first["learner_id"], LearningProfile.language == "en"
        )
    ).one()
    assert profile.level == "C1"
    assert (
        db.session.scalars(
            select(LearningProfile).where(LearningProfile.user_id == s.teacher.id)
        ).all()
        == []
    )
    mine = client.get(
        f"{API}/jobs/{first['job_id']}",
        headers=next(m for m in s.learners if m.id == first["learner_id"]).headers,
    )
    assert mine.status_code == 200

    # And the export has one row per item, the reviewed level as the final one
    exported = client.get(
        f"{API}/assignments/{assignment['id']}/results/export", headers=s.teacher.headers
    )
    assert exported.status_code == 200
    assert exported.mimetype == "text/csv"
    table = list(csv.DictReader(io.StringIO(exported.get_data(as_text=True))))
    assert len(table) == 6
    row = next(r for r in table if r["job_id"] == first["job_id"])
    assert (row["final_level"], row["reviewed_level"], row["ai_level"]) == (
        "C1",
        "C1",
        first["ai_level"],
    )
    assert row["review_comment"] == "Rich vocabulary, well linked."
    assert sorted(r["status"] for r in table).count("error") == 3
    # And as XLSX, the same rows
    workbook = client.get(
        f"{API}/assignments/{assignment['id']}/results/export?format=xlsx",
        headers=s.teacher.headers,
    )
    assert workbook.status_code == 200 and workbook.mimetype.endswith(".sheet")
    sheet = load_workbook(io.BytesIO(workbook.get_data()), read_only=True)["Results"]
    cells = [list(r) for r in sheet.iter_rows(values_only=True)]
    header = cells[0]
    assert len(cells) == 7 and header[0] == "learner_email"
    reviewed_row = next(r for r in cells if r[header.index("job_id")] == first["job_id"])
    assert reviewed_row[header.index("final_level")] == "C1"
    assert_problem(
        client.get(
            f"{API}/assignments/{assignment['id']}/results/export?format=pdf",
            headers=s.teacher.headers,
        ),
        422,
        "validation_error",
    )

    # And bad reviews are refused with codes
    # And the results come a page at a time
    first_page = client.get(
        f"{API}/assignments/{assignment['id']}/results?limit=4", headers=s.teacher.headers
    ).get_json()
    rest = client.get(
        f"{API}/assignments/{assignment['id']}/results?limit=4&after={first_page['next']}",
        headers=s.teacher.headers,
    ).get_json()
    assert (len(first_page["items"]), len(rest["items"]), rest["next"]) == (4, 2, None)
    assert_problem(
        client.post(
            path, headers=s.teacher.headers, json={"scores": {"charm": 50}, "comment": "x"}
        ),
        422,
        "unknown_sub_score",
    )
    assert_problem(
        client.post(path, headers=s.teacher.headers, json={"comment": "x"}), 422, "validation_error"
    )
    assert_problem(
        client.post(
            f"{API}/assignments/{assignment['id']}/results/job_x/reviews",
            headers=s.teacher.headers,
            json={"level": "A1", "comment": "x"},
        ),
        404,
        "result_not_found",
    )
    colleague = accounts.member(s.admin, "teacher")
    assert_problem(
        client.post(path, headers=colleague.headers, json={"level": "A1", "comment": "x"}),
        403,
        "not_class_teacher",
    )


def test_a_zip_of_recordings_is_assessed_with_bad_files_reported(client, school, upload, worker):
    # Given a speaking assignment and a zip with two recordings, a corrupt one, an empty
    # one, a copy of the first, a file of an unknown learner, a zip-slip name, a zip bomb
    # and a manifest naming a file that is not there
    s = school(learners=3)
    one, two, three = s.learners
    assignment = create_assignment(
        client, s.teacher, s.class_id, kind="speaking", prompt_text="Tell us about your town."
    )
    wav = (AUDIO / "en_market.wav").read_bytes()
    manifest = "\n".join(
        [
            "filename,learner",
            f"a/one.wav,{one.email}",
            f"two.mp3,{two.email}",
            f"broken.wav,{three.email}",
            f"empty.wav,{three.email}",
            f"copy.wav,{three.email}",
            "ghost.wav,ghost@example.test",
            f"missing.wav,{one.email}",
            "",
        ]
    )
    archive = make_zip(
        [
            ("manifest.csv", manifest.encode()),
            ("a/one.wav", wav),
            ("two.mp3", (AUDIO / "en_market.mp3").read_bytes()),
            ("broken.wav", (AUDIO / "corrupt.bin").read_bytes()),
            ("empty.wav", b""),
            ("copy.wav", wav),
            ("ghost.wav", wav),
            ("../evil.wav", wav),
            ("bomb.wav", bytes(3 * 1024 * 1024)),
        ]
    )
    zipped = upload(s.teacher, archive, "class.zip")

    # When the teacher submits it
    answer = client.post(
        f"{API}/assignments/{assignment['id']}/batches",
        json={"archive_media_id": zipped["id"]},
        headers=s.teacher.headers,
    )
    assert answer.status_code == 202, answer.get_json()
    batch = wait_for_batch(client, answer.headers["Location"], s.teacher.headers)

    # Then the two recordings are assessed and every other file is reported
    assert batch["status"] == "completed", batch
    items = client.get(f"{answer.headers['Location']}/items", headers=s.teacher.headers)
    outcome = {
        i["name"]: (i["status"], (i["error"] or {}).get("code")) for i in items.get_json()["items"]
    }
    assert outcome["a/one.wav"] == ("succeeded", None)
    assert outcome["two.mp3"] == ("succeeded", None)
    assert outcome["broken.wav"][0] == "error"
    assert outcome["empty.wav"] == ("error", "empty_file")
    assert outcome["copy.wav"] == ("error", "duplicate_file")
    assert outcome["ghost.wav"] == ("error", "learner_unknown")
    assert outcome["../evil.wav"] == ("error", "unsafe_path")
    assert outcome["missing.wav"] == ("error", "file_missing")
    assert outcome["bomb.wav"] == ("error", "compression_ratio")
    assert batch["counts"]["succeeded"] == 2 and batch["counts"]["total"] == 9

    # And each job is about its learner, with the assignment's task
    results = client.get(
        f"{API}/assignments/{assignment['id']}/results?status=succeeded", headers=s.teacher.headers
    ).get_json()["items"]
    assert sorted(r["learner_email"] for r in results) == sorted([one.email, two.email])
    job = client.get(f"{API}/jobs/{results[0]['job_id']}", headers=s.teacher.headers)
    assert job.get_json()["input"]["prompt_text"] == "Tell us about your town."
    assert job.get_json()["result"]["cefr"]["level"] == results[0]["ai_level"]


def test_a_zip_of_recordings_is_refused_while_the_storage_is_full(
    app, client, school, upload, monkeypatch
):
    # Given a school-plan organisation whose media, a zip of recordings and a sheet of
    # texts, fill its storage
    s = school(learners=1)
    set_plan(app, s.admin.organisation_id, "school")
    speaking = create_assignment(
        client, s.teacher, s.class_id, kind="speaking", prompt_text="Tell us about your town."
    )
    writing = create_assignment(client, s.teacher, s.class_id)
    wav = (AUDIO / "en_market.wav").read_bytes()
    manifest = f"filename,learner\none.wav,{s.learners[0].email}\n".encode()
    zipped = upload(s.teacher, make_zip([("manifest.csv", manifest), ("one.wav", wav)]), "c.zip")
    sheet = upload(s.teacher, f"learner,text\n{s.learners[0].email},{TEXT}\n".encode(), "t.csv")
    monkeypatch.setitem(quotas.STORAGE_LIMITS, "school", zipped["size"] + sheet["size"])

    # When the teacher submits the zip as a batch
    answer = client.post(
        f"{API}/assignments/{speaking['id']}/batches",
        json={"archive_media_id": zipped["id"]},
        headers=s.teacher.headers,
    )

    # Then it is refused as an upload would be (its recordings would become media)
    body = assert_problem(answer, 429, "quota_exceeded")
    assert (body["quota"]["metric"], body["quota"]["requested"]) == ("storage_bytes", None)
    listed = client.get(f"{API}/assignments/{speaking['id']}/batches", headers=s.teacher.headers)
    assert listed.get_json()["items"] == []
    # And a batch of texts, which stores no media, is accepted
    texts = client.post(
        f"{API}/assignments/{writing['id']}/batches",
        json={"texts_media_id": sheet["id"]},
        headers=s.teacher.headers,
    )
    assert texts.status_code == 202, texts.get_json()


def test_batch_requests_are_checked(client, accounts, school, upload, worker):
    s = school(learners=1)
    speaking = create_assignment(client, s.teacher, s.class_id, kind="speaking")
    writing = create_assignment(client, s.teacher, s.class_id)
    wav = upload(s.teacher, (AUDIO / "en_market.wav").read_bytes(), "x.wav")
    h = s.teacher.headers

    def submit(assignment: dict, body: dict):
        return client.post(f"{API}/assignments/{assignment['id']}/batches", json=body, headers=h)

    assert_problem(submit(speaking, {}), 422, "batch_source")
    assert_problem(submit(speaking, {"media_ids": [wav["id"]]}), 422, "batch_mapping")
    assert_problem(
        submit(speaking, {"media_ids": [wav["id"]], "filename_pattern": "*.wav"}),
        422,
        "pattern_invalid",
    )
    assert_problem(submit(writing, {"media_ids": [wav["id"]]}), 422, "batch_source_kind")
    assert_problem(submit(speaking, {"archive_media_id": wav["id"]}), 422, "media_wrong_kind")
    assert_problem(submit(speaking, {"archive_media_id": "med_nope"}), 404, "media_not_found")
    colleague = accounts.member(s.admin, "teacher")
    assert_problem(
        client.post(
            f"{API}/assignments/{speaking['id']}/batches",
            json={"media_ids": [wav["id"]], "filename_pattern": "{learner}"},
            headers=colleague.headers,
        ),
        403,
        "not_class_teacher",
    )

    # A zip without a manifest (and no pattern) fails the batch as a whole, with a code
    zipped = upload(s.teacher, make_zip([("x.wav", b"RIFF")]), "x.zip")
    answer = submit(speaking, {"archive_media_id": zipped["id"]})
    assert answer.status_code == 202
    batch = wait_for_batch(client, answer.headers["Location"], h, seconds=60)
    assert batch["status"] == "failed" and batch["error"]["code"] == "manifest_missing"


def test_uploaded_recordings_are_mapped_by_a_file_name_pattern(client, school, upload, worker):
    # Given a speaking assignment and recordings uploaded one by one, named after the
    # learners' emails, plus one whose name the pattern does not match
    s = school(learners=1)
    learner = s.learners[0]
    assignment = create_assignment(client, s.teacher, s.class_id, kind="speaking")
    data = (AUDIO / "en_market.wav").read_bytes()
    good = upload(s.teacher, data, f"{learner.email}_take1.wav")
    odd = upload(s.teacher, data, "recording.wav")

    # When the batch maps them with `{learner}_*.wav`
    answer = client.post(
        f"{API}/assignments/{assignment['id']}/batches",
        headers=s.teacher.headers,
        json={"media_ids": [good["id"], odd["id"]], "filename_pattern": "{learner}_*.wav"},
    )
    assert answer.status_code == 202, answer.get_json()
    batch = wait_for_batch(client, answer.headers["Location"], s.teacher.headers)

    # Then the learner's recording is assessed and the other is reported
    assert batch["status"] == "completed"
    assert (batch["counts"]["succeeded"], batch["counts"]["error"]) == (1, 1)
    items = client.get(f"{answer.headers['Location']}/items", headers=s.teacher.headers)
    assert [(i["learner_email"], i["status"]) for i in items.get_json()["items"]] == [
        (learner.email, "succeeded"),
        (None, "error"),
    ]


def test_an_xlsx_workbook_of_texts_is_assessed(client, school, upload, worker):
    # Given a writing assignment and the class's texts in an .xlsx workbook
    s = school(learners=2)
    assignment = create_assignment(client, s.teacher, s.class_id)
    book = Workbook()
    book.active.append(("Learner", "Text"))
    for member in s.learners:
        book.active.append((member.email, TEXT))
    buffer = io.BytesIO()
    book.save(buffer)
    sheet = upload(s.teacher, buffer.getvalue(), "texts.xlsx")
    assert (sheet["kind"], sheet["content_type"]) == (
        "document",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )

    # When the teacher submits it as the batch's texts
    answer = client.post(
        f"{API}/assignments/{assignment['id']}/batches",
        json={"texts_media_id": sheet["id"]},
        headers=s.teacher.headers,
    )

    # Then each learner's text is assessed
    assert answer.status_code == 202, answer.get_json()
    batch = wait_for_batch(client, answer.headers["Location"], s.teacher.headers)
    assert batch["counts"]["succeeded"] == 2 and batch["counts"]["error"] == 0, batch


def test_a_long_poll_given_the_last_version_seen_answers_at_once_when_it_moved_on(
    client, school, upload, queue_worker
):
    # Given a batch of texts that a media worker expanded into jobs no worker runs yet
    queue_worker("media")
    s = school(learners=2)
    assignment = create_assignment(client, s.teacher, s.class_id)
    sheet = upload(
        s.teacher,
        b"learner,text\n" + "".join(f"{m.email},{TEXT}\n" for m in s.learners).encode(),
        "texts.csv",
    )
    answer = client.post(
        f"{API}/assignments/{assignment['id']}/batches",
        json={"texts_media_id": sheet["id"]},
        headers=s.teacher.headers,
    )
    submitted = answer.get_json()
    location = answer.headers["Location"]
    deadline = time.monotonic() + 60
    while client.get(location, headers=s.teacher.headers).get_json()["status"] == "expanding":
        assert time.monotonic() < deadline, "the batch was not expanded"
        time.sleep(0.1)

    # When a client that last saw the batch as submitted (expanding) long-polls with that
    # version, while nothing else changes
    started = time.monotonic()
    again = client.get(
        f"{location}?wait=20&since={submitted['version']}", headers=s.teacher.headers
    ).get_json()

    # Then it gets the progress it missed at once, rather than after the wait
    assert time.monotonic() - started < 5
    assert again["status"] == "running" and again["counts"]["queued"] == 2
    assert again["version"] != submitted["version"]
    # And a client that is up to date waits for the next change (none comes within 1 s)
    started = time.monotonic()
    same = client.get(
        f"{location}?wait=1&since={again['version']}", headers=s.teacher.headers
    ).get_json()
    assert time.monotonic() - started >= 1 and same["version"] == again["version"]
