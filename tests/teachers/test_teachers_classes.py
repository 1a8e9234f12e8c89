"""Classes and assignments: tenant-filtered, managed by their teachers and the admin."""

from __future__ import annotations

from tests.teachers.conftest import (
    API,
    assert_problem,
    create_assignment,
    wait_for_batch,
)

TEXT = (
    "Last weekend I visited my grandmother in the countryside. We cooked a big lunch "
    "together and then we walked along the river because the weather was lovely."
)


def test_a_teacher_builds_a_class_and_sets_assignments(client, accounts, school, catalogue):
    # Given a teacher with a class of three learners
    s = school(learners=3)

    # When the teacher reads the class's members
    members = client.get(f"{API}/classes/{s.class_id}/members", headers=s.teacher.headers)

    # Then the teacher and the three learners are there
    assert members.status_code == 200
    roles = {(m["email"], m["role"]) for m in members.get_json()["items"]}
    assert roles == {(s.teacher.email, "teacher")} | {(m.email, "learner") for m in s.learners}

    # When the teacher sets a reading task from the catalogue and a writing task
    prompt = client.get(
        f"{API}/speaking-prompts?kind=reading&language=en", headers=s.teacher.headers
    ).get_json()["items"][0]
    reading = create_assignment(
        client,
        s.teacher,
        s.class_id,
        kind="speaking",
        language=None,
        prompt_text=None,
        prompt_id=prompt["id"],
        due_at="2026-12-01T09:00:00+00:00",
        lti_resource_link_id="rl-42",
    )
    writing = create_assignment(client, s.teacher, s.class_id)

    # Then the reading task carries the catalogue's language, instructions and text
    assert reading["language"] == "en"
    assert reading["reference_text"] == prompt["reference_text"]
    assert reading["prompt_text"] == prompt["instructions"]
    assert (reading["lti_resource_link_id"], reading["due_at"][:10]) == ("rl-42", "2026-12-01")

    # And both are listed for the class, newest first
    listed = client.get(f"{API}/assignments?class_id={s.class_id}", headers=s.teacher.headers)
    assert [a["id"] for a in listed.get_json()["items"]] == [writing["id"], reading["id"]]

    # And the teacher can change one and delete the other
    changed = client.patch(
        f"{API}/assignments/{writing['id']}", json={"level": "B2"}, headers=s.teacher.headers
    )
    assert changed.status_code == 200 and changed.get_json()["level"] == "B2"
    assert (
        client.delete(f"{API}/assignments/{reading['id']}", headers=s.teacher.headers).status_code
        == 204
    )


def test_roles_and_tenants_are_enforced(client, accounts, school):
    # Given a class of one teacher, another teacher of the same organisation, a learner,
    # and a teacher of another organisation
    s = school(learners=1)
    colleague = accounts.member(s.admin, "teacher")
    stranger_admin = accounts.admin()
    stranger = accounts.member(stranger_admin, "teacher")
    assignment = create_assignment(client, s.teacher, s.class_id)
    path = f"{API}/classes/{s.class_id}"

    # Then a learner may not use classes at all
    assert_problem(
        client.get(f"{API}/classes", headers=s.learners[0].headers), 403, "insufficient_role"
    )
    # And another teacher of the organisation is refused this class and its assignment
    assert_problem(client.get(path, headers=colleague.headers), 403, "not_class_teacher")
    assert_problem(
        client.get(f"{API}/assignments/{assignment['id']}", headers=colleague.headers),
        403,
        "not_class_teacher",
    )
    assert client.get(f"{API}/classes", headers=colleague.headers).get_json()["items"] == []
    # And another organisation does not see it exists
    assert_problem(client.get(path, headers=stranger.headers), 404, "class_not_found")
    assert_problem(
        client.get(f"{API}/assignments/{assignment['id']}", headers=stranger_admin.headers),
        404,
        "assignment_not_found",
    )
    # And the admin of the organisation manages every class
    assert client.get(path, headers=s.admin.headers).status_code == 200
    # And an API key without a classes scope is refused
    key = accounts.api_key(s.admin, ["jobs:read"])
    assert_problem(client.get(f"{API}/classes", headers=key), 403, "insufficient_scope")

    # When the teacher adds the colleague as a teacher, the colleague may use the class
    added = client.post(
        f"{path}/members",
        json={"role": "teacher", "user_ids": [colleague.id]},
        headers=s.teacher.headers,
    )
    assert added.status_code == 200, added.get_json()
    assert client.get(path, headers=colleague.headers).status_code == 200


def test_bad_members_and_assignments_are_refused_with_codes(client, accounts, school):
    s = school(learners=1)
    other = accounts.member(accounts.admin(), "learner")
    members = f"{API}/classes/{s.class_id}/members"
    h = s.teacher.headers
    # Unknown users (another organisation's too), and roles that do not fit
    body = assert_problem(
        client.post(
            members,
            headers=h,
            json={"role": "learner", "emails": [other.email, "nobody@example.test"]},
        ),
        404,
        "user_not_found",
    )
    assert set(body["missing"]) == {other.email, "nobody@example.test"}
    assert_problem(
        client.post(members, headers=h, json={"role": "learner", "user_ids": [s.teacher.id]}),
        422,
        "member_role_mismatch",
    )
    assert_problem(client.post(members, headers=h, json={"role": "learner"}), 422, "members_empty")
    assert_problem(
        client.post(members, headers=h, json={"role": "boss", "user_ids": ["x"]}),
        422,
        "validation_error",
    )
    assert_problem(client.delete(f"{members}/{other.id}", headers=h), 404, "member_not_found")
    # Assignments: no language, a reference text on writing, unknown prompt, bad level
    base = {"class_id": s.class_id, "title": "t", "kind": "writing"}
    assert_problem(client.post(f"{API}/assignments", headers=h, json=base), 422, "language_missing")
    assert_problem(
        client.post(
            f"{API}/assignments",
            headers=h,
            json={**base, "language": "en", "reference_text": "read me"},
        ),
        422,
        "reference_text_not_allowed",
    )
    assert_problem(
        client.post(
            f"{API}/assignments",
            headers=h,
            json={**base, "kind": "speaking", "prompt_id": "spp_nope"},
        ),
        404,
        "speaking_prompt_not_found",
    )
    assert_problem(
        client.post(
            f"{API}/assignments", headers=h, json={**base, "language": "en", "level": "D1"}
        ),
        422,
        "validation_error",
    )
    assert_problem(
        client.post(
            f"{API}/assignments",
            headers=h,
            json={**base, "class_id": "cls_missing", "language": "en"},
        ),
        404,
        "class_not_found",
    )


def test_a_partner_key_runs_classes_assignments_and_batches_but_reviews_need_a_person(
    client, accounts, school, upload, worker
):
    # Given a school, and a partner's API key with the classes scopes
    s = school(learners=1)
    key = accounts.api_key(s.admin, ["classes:read", "classes:write", "media:write"])
    reader = accounts.api_key(s.admin, ["classes:read"])
    # When the partner creates a class with the learner, and a writing assignment
    made = client.post(
        f"{API}/classes", json={"name": "LMS course 42", "language": "en"}, headers=key
    )
    assert made.status_code == 201, made.get_json()
    class_id = made.get_json()["id"]
    added = client.post(
        f"{API}/classes/{class_id}/members",
        headers=key,
        json={"role": "learner", "user_ids": [s.learners[0].id]},
    )
    assert added.status_code == 200, added.get_json()
    made = client.post(
        f"{API}/assignments",
        headers=key,
        json={
            "class_id": class_id,
            "title": "Essay",
            "kind": "writing",
            "language": "en",
            "level": "B1",
            "prompt_text": "Describe your last weekend.",
        },
    )
    assert made.status_code == 201, made.get_json()
    assignment = made.get_json()
    # Then the class has the learner and no teacher (a key is no one), and the organisation's
    # admin sees it
    members = client.get(f"{API}/classes/{class_id}/members", headers=key).get_json()["items"]
    assert [(m["user_id"], m["role"]) for m in members] == [(s.learners[0].id, "learner")]
    assert client.get(f"{API}/classes/{class_id}", headers=s.admin.headers).status_code == 200
    # When it submits the learner's text as a batch and reads the results
    sheet = upload(s.teacher, f"learner,text\n{s.learners[0].email},{TEXT}\n".encode(), "texts.csv")
    batch = client.post(
        f"{API}/assignments/{assignment['id']}/batches",
        headers=key,
        json={"texts_media_id": sheet["id"]},
    )
    assert batch.status_code == 202, batch.get_json()
    assert wait_for_batch(client, batch.headers["Location"], key)["counts"]["succeeded"] == 1
    results = client.get(f"{API}/assignments/{assignment['id']}/results", headers=reader)
    (row,) = results.get_json()["items"]
    # Then a read-only key reads but may not write, and no key may review a result
    assert_problem(
        client.post(f"{API}/classes", json={"name": "x"}, headers=reader), 403, "insufficient_scope"
    )
    review = client.post(
        f"{API}/assignments/{assignment['id']}/results/{row['job_id']}/reviews",
        headers=key,
        json={"level": "B2", "comment": "From the LMS."},
    )
    assert_problem(review, 403, "user_required")
