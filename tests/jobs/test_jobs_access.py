"""Who may see and change which jobs."""

from __future__ import annotations

from tests.jobs.helpers import submit_ping


def test_another_organisations_job_is_404(client, accounts):
    owner, stranger = accounts.admin(), accounts.admin()
    job = submit_ping(client, owner.headers).get_json()
    for method, path in [
        ("get", f"/api/v1/jobs/{job['id']}"),
        ("post", f"/api/v1/jobs/{job['id']}/cancel"),
        ("post", f"/api/v1/jobs/{job['id']}/retry"),
    ]:
        response = getattr(client, method)(path, headers=stranger.headers)
        assert response.status_code == 404, path
        assert response.get_json()["code"] == "job_not_found"
    listed = client.get("/api/v1/jobs", headers=stranger.headers).get_json()
    assert listed["items"] == [] and listed["pagination"]["total_items"] == 0


def test_ping_is_for_admins_and_learners_see_only_their_jobs(client, accounts):
    admin = accounts.admin()
    learner = accounts.member(admin, "learner")
    assert submit_ping(client, learner.headers).status_code == 403
    job = submit_ping(client, admin.headers).get_json()
    assert client.get(f"/api/v1/jobs/{job['id']}", headers=learner.headers).status_code == 404
    assert client.get("/api/v1/jobs", headers=learner.headers).get_json()["items"] == []
    teacher = accounts.member(admin, "teacher")
    assert client.get(f"/api/v1/jobs/{job['id']}", headers=teacher.headers).status_code == 200


def test_api_keys_read_jobs_with_their_scope(client, accounts):
    admin = accounts.admin()
    job = submit_ping(client, admin.headers).get_json()
    reader = accounts.api_key(admin, ["jobs:read"])
    assert client.get(f"/api/v1/jobs/{job['id']}", headers=reader).status_code == 200
    denied = client.post(f"/api/v1/jobs/{job['id']}/cancel", headers=reader)
    assert denied.status_code == 403
    assert denied.get_json()["code"] == "insufficient_scope"


def test_list_filters_and_pages(client, accounts):
    admin = accounts.admin()
    ids = [submit_ping(client, admin.headers).get_json()["id"] for _ in range(3)]
    client.post(f"/api/v1/jobs/{ids[0]}/cancel", headers=admin.headers)
    page = client.get("/api/v1/jobs?per_page=2", headers=admin.headers).get_json()
    assert [j["id"] for j in page["items"]] == [ids[2], ids[1]]
    assert page["pagination"] == {
        "current_page": 1,
        "total_pages": 2,
        "total_items": 3,
        "items_per_page": 2,
    }
    canceled = client.get("/api/v1/jobs?status=canceled", headers=admin.headers).get_json()
    assert [j["id"] for j in canceled["items"]] == [ids[0]]
    assert client.get("/api/v1/jobs?status=bogus", headers=admin.headers).status_code == 422
    assert client.get("/api/v1/jobs?per_page=1000", headers=admin.headers).status_code == 422
    past_end = client.get("/api/v1/jobs?page=9", headers=admin.headers).get_json()
    assert past_end["items"] == [] and past_end["pagination"]["total_items"] == 3
