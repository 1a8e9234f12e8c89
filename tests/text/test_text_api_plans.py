"""Learning goals and plans through the API and a real worker."""

from __future__ import annotations


def _run(client, response, headers):
    assert response.status_code == 202, response.get_json()
    done = client.get(response.headers["Location"] + "?wait=30", headers=headers).get_json()
    assert done["status"] == "succeeded", done
    return done


def test_learning_goals_catalogue(client, accounts):
    # Given a learner / When the goals are listed / Then the catalogue with weights comes back
    learner = accounts.member(accounts.admin(), "learner")
    response = client.get("/api/v1/learning-goals", headers=learner.headers)
    assert response.status_code == 200
    goals = {g["id"]: g for g in response.get_json()["items"]}
    assert {"travel", "work", "exam", "conversation", "academic"} <= set(goals)
    assert goals["travel"]["title"] == "Travel"


def test_a_plan_is_built_stored_and_listed(client, accounts, worker, vocabulary_rows):
    # Given a learner with Spanish words at A2 and B1
    admin = accounts.admin()
    learner = accounts.member(admin, "learner")
    for i in range(12):
        vocabulary_rows.word(admin, f"palabra{i}", language="es", level="A2" if i < 6 else "B1")
    # When the learner asks for an A2 -> B1 travel plan at 3 h a week for 70 weeks
    response = client.post(
        "/api/v1/plans",
        headers=learner.headers,
        json={
            "language": "es",
            "current_level": "A2",
            "target_level": "B1",
            "goals": ["travel"],
            "minutes_per_week": 180,
            "weeks": 70,
            "weak_skills": ["listening"],
        },
    )
    job = _run(client, response, learner.headers)
    # Then the job's result is the plan, stored and readable by id, and it fits
    result = job["result"]
    assert result["feasibility"]["feasible"] is True
    assert result["focus"] == ["listening"]
    week1 = result["schedule"][0]
    assert week1["minutes"] == 180
    linked = [w for s in week1["sessions"] for w in s["word_ids"]]
    assert linked, week1
    plan = client.get(f"/api/v1/plans/{result['plan_id']}", headers=learner.headers).get_json()
    assert plan["job_id"] == job["id"] and plan["user_id"] == learner.id
    assert (plan["verdict"], plan["estimated_hours"]) == ("realistic", 185.0)
    assert plan["plan"]["schedule"][0]["sessions"] == week1["sessions"]
    listed = client.get("/api/v1/plans", headers=learner.headers).get_json()
    assert [p["id"] for p in listed["items"]] == [plan["id"]]
    assert listed["pagination"]["total_items"] == 1


def test_an_impossible_plan_is_flagged_with_the_hours_needed(client, accounts, worker):
    # Given an admin asking for A1 -> C2 in two weeks
    admin = accounts.admin()
    response = client.post(
        "/api/v1/plans",
        headers=admin.headers,
        json={
            "language": "en",
            "current_level": "A1",
            "target_level": "C2",
            "goals": ["exam"],
            "minutes_per_week": 180,
            "weeks": 2,
        },
    )
    # When it runs / Then the plan says it is unrealistic, and by how much
    feasibility = _run(client, response, admin.headers)["result"]["feasibility"]
    assert feasibility["verdict"] == "unrealistic" and feasibility["feasible"] is False
    assert feasibility["hours_needed"]["mid"] == 1005
    assert feasibility["hours_short"] == 904


def test_current_level_and_focus_come_from_the_latest_assessment(client, accounts, worker):
    # Given a learner whose writing was assessed (an intermediate paragraph with no errors,
    # so that a plan to C2 has somewhere to go)
    learner = accounts.member(accounts.admin(), "learner")
    text = (
        "I have been learning English for three years because I want to work abroad. At "
        "first it was difficult to understand native speakers, but now I can follow most "
        "conversations if they speak clearly. I think that reading books helps me a lot."
    )
    assessed = _run(
        client,
        client.post(
            "/api/v1/assessments/writing",
            headers=learner.headers,
            json={"text": text, "language": "en"},
        ),
        learner.headers,
    )
    level = assessed["result"]["cefr_level"]
    # When a plan to C2 is asked without a current level
    job = _run(
        client,
        client.post(
            "/api/v1/plans",
            headers=learner.headers,
            json={"language": "en", "target_level": "C2", "minutes_per_week": 300},
        ),
        learner.headers,
    )
    # Then the assessment's level was used, and recorded as the source
    assert job["input"]["current_level"] == level
    assert job["input"]["current_level_source"] == "assessment"
    assert job["input"]["assessment_job_id"] == assessed["id"]
    assert job["result"]["current_level"] == level
    plan = client.get(
        f"/api/v1/plans/{job['result']['plan_id']}", headers=learner.headers
    ).get_json()
    assert plan["current_level_source"] == "assessment"


def test_without_a_level_or_an_assessment_the_request_is_422(client, accounts):
    # Given a learner never assessed in Japanese
    learner = accounts.member(accounts.admin(), "learner")
    body = {"language": "ja", "target_level": "A2", "minutes_per_week": 120}
    # When a plan is asked without a level / Then 422 with a stable code
    response = client.post("/api/v1/plans", headers=learner.headers, json=body)
    assert response.status_code == 422
    assert response.get_json()["code"] == "current_level_unknown"
    # And "pre-A1" plans from zero; a target below the level is refused
    assert (
        client.post(
            "/api/v1/plans", headers=learner.headers, json={**body, "current_level": "pre-A1"}
        ).status_code
        == 202
    )
    backwards = client.post(
        "/api/v1/plans", headers=learner.headers, json={**body, "current_level": "B1"}
    )
    assert backwards.get_json()["code"] == "target_not_above_current"
    unknown_goal = client.post(
        "/api/v1/plans",
        headers=learner.headers,
        json={**body, "current_level": "A1", "goals": ["knitting"]},
    )
    assert unknown_goal.status_code == 422


def test_learners_see_only_their_own_plans_and_staff_see_all(client, accounts, worker):
    # Given two learners with a plan each
    admin = accounts.admin()
    alice, bob = accounts.member(admin, "learner"), accounts.member(admin, "learner")
    body = {
        "language": "fr",
        "current_level": "A1",
        "target_level": "A2",
        "minutes_per_week": 120,
        "weeks": 10,
    }
    plan_a = _run(
        client, client.post("/api/v1/plans", headers=alice.headers, json=body), alice.headers
    )["result"]["plan_id"]
    _run(client, client.post("/api/v1/plans", headers=bob.headers, json=body), bob.headers)
    # When each lists and reads
    # Then a learner sees one plan and not the other's; the admin sees both and can filter
    assert client.get(f"/api/v1/plans/{plan_a}", headers=bob.headers).status_code == 404
    assert (
        client.get("/api/v1/plans", headers=bob.headers).get_json()["pagination"]["total_items"]
        == 1
    )
    everything = client.get("/api/v1/plans", headers=admin.headers).get_json()
    assert everything["pagination"]["total_items"] == 2
    only_alice = client.get(f"/api/v1/plans?user_id={alice.id}", headers=admin.headers)
    assert [p["id"] for p in only_alice.get_json()["items"]] == [plan_a]
    # And a staff member may ask a plan for a learner, a learner not for someone else
    for_bob = client.post("/api/v1/plans", headers=admin.headers, json={**body, "user_id": bob.id})
    assert for_bob.status_code == 202
    assert (
        client.post(
            "/api/v1/plans", headers=alice.headers, json={**body, "user_id": bob.id}
        ).status_code
        == 403
    )


def test_a_long_plan_pages_every_week_and_links_catalogue_tasks(client, accounts, worker):
    # Given a learner asking for a 62-week plan without choosing speaking prompts
    learner = accounts.member(accounts.admin(), "learner")
    body = {
        "language": "en",
        "current_level": "A2",
        "target_level": "B1",
        "goals": ["conversation"],
        "minutes_per_week": 180,
    }
    job = _run(
        client, client.post("/api/v1/plans", headers=learner.headers, json=body), learner.headers
    )
    result = job["result"]
    # Then the result carries the first 12 weeks and says where all 62 are
    assert result["weeks"] == 62 and len(result["schedule"]) == 12
    assert result["schedule_page"]["weeks_total"] == 62
    # And the weeks endpoint pages through every one of them, none cut
    weeks, page = [], 1
    while True:
        got = client.get(
            f"/api/v1/plans/{result['plan_id']}/weeks?page={page}&per_page=25",
            headers=learner.headers,
        ).get_json()
        weeks += got["items"]
        if page >= got["pagination"]["total_pages"]:
            break
        page += 1
    assert [w["week"] for w in weeks] == list(range(1, 63))
    assert all(w["minutes"] == 180 for w in weeks)
    # And speaking sessions link the catalogue's English A2/B1 tasks, named in each week
    linked = {p for w in weeks for s in w["sessions"] for p in s["prompt_ids"]}
    assert linked and all(p.startswith(("spp_en_a2", "spp_en_b1")) for p in linked)
    assert any(c.startswith("Speaking task spp_en_") for c in weeks[0]["content"])
    # And reading the plan shows the first weeks inline, with every goal skill timed
    plan = client.get(f"/api/v1/plans/{result['plan_id']}", headers=learner.headers).get_json()
    assert len(plan["plan"]["schedule"]) == 12
    assert min(plan["plan"]["skill_minutes"].values()) > 0
    assert plan["plan"]["schedule_page"]["pages"].endswith("/weeks?page=1&per_page=12")


def test_words_due_for_review_come_first_in_the_plan(client, accounts, worker, vocabulary_rows):
    # Given a learner with two Spanish words due for review (one more overdue) and new words
    from datetime import timedelta

    from storage.db import db, utcnow
    from storage.models.learning import WordMemory

    admin = accounts.admin()
    learner = accounts.member(admin, "learner")
    due = [vocabulary_rows.word(admin, t, language="es", level="A2") for t in ("casa", "perro")]
    for i in range(10):
        vocabulary_rows.word(admin, f"nueva{i}", language="es", level="B1")
    for days, word in ((3, due[1]), (1, due[0])):
        when = utcnow() - timedelta(days=days)
        db.session.add(
            WordMemory(
                organisation_id=admin.organisation_id,
                user_id=learner.id,
                word_id=word.id,
                ease=2.5,
                interval_days=1,
                repetitions=1,
                lapses=0,
                reviews=1,
                due_at=when,
                last_reviewed_at=when - timedelta(days=1),
            )
        )
    db.session.commit()
    # When the learner asks for a plan
    body = {
        "language": "es",
        "current_level": "A2",
        "target_level": "B1",
        "minutes_per_week": 180,
        "weeks": 8,
    }
    result = _run(
        client, client.post("/api/v1/plans", headers=learner.headers, json=body), learner.headers
    )["result"]
    # Then the first review session starts with the due words, most overdue first, and the
    # plan says where its words came from
    reviews = [
        s["word_ids"]
        for w in result["schedule"]
        for s in w["sessions"]
        if s["kind"] == "review_words"
    ]
    assert reviews[0][:2] == [due[1].id, due[0].id]
    assert "(2 due for review)" in result["content"]
    assert "2 words to review (due first)" in result["schedule"][0]["content"]
