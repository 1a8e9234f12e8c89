"""A teacher's score override is an audited action: the AI result before, the review after."""

from __future__ import annotations

import csv
import io
import json

from tests.teachers.conftest import API, create_assignment, wait_for_batch

TEXT = (
    "Last weekend I visited my grandmother in the countryside. We cooked a big lunch "
    "together and then we walked along the river because the weather was lovely."
)


def test_a_score_override_is_recorded_with_the_ai_result_before_it(client, school, upload, worker):
    # Given a teacher's writing assignment with one assessed text
    s = school(learners=1)
    assignment = create_assignment(client, s.teacher, s.class_id)
    sheet = io.StringIO()
    csv.writer(sheet).writerows([("learner", "text"), (s.learners[0].email, TEXT)])
    media = upload(s.teacher, sheet.getvalue().encode(), "texts.csv")
    answer = client.post(
        f"{API}/assignments/{assignment['id']}/batches",
        json={"texts_media_id": media["id"]},
        headers=s.teacher.headers,
    )
    assert (
        wait_for_batch(client, answer.headers["Location"], s.teacher.headers)["status"]
        == "completed"
    )
    result = client.get(
        f"{API}/assignments/{assignment['id']}/results", headers=s.teacher.headers
    ).get_json()["items"][0]

    # When the teacher overrides the level
    reviewed = client.post(
        f"{API}/assignments/{assignment['id']}/results/{result['job_id']}/reviews",
        headers=s.teacher.headers,
        json={"level": "C1", "comment": "Well linked."},
    )
    assert reviewed.status_code == 201, reviewed.get_json()

    # Then the admin's log holds it: the teacher, the job, the AI level and the new one
    log = client.get(
        f"{API}/admin/audit", headers=s.admin.headers, query_string={"action": "result.reviewed"}
    ).get_json()["items"]
    assert len(log) == 1
    record = log[0]
    assert record["actor"] == {"type": "user", "id": s.teacher.id, "role": "teacher"}
    assert (record["target_type"], record["target_id"]) == ("job", result["job_id"])
    assert record["before"]["level"] == result["ai_level"]
    assert record["after"]["level"] == "C1"
    assert record["after"]["review_id"] == reviewed.get_json()["id"]
    # And neither the learner's email nor the comment is copied into it
    assert s.learners[0].email not in json.dumps(record)
    assert "Well linked." not in json.dumps(record)
