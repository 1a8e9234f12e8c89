def test_ping_job_runs_on_real_worker(client, accounts, worker):
    # Given an admin and a running worker
    admin = accounts.admin()
    # When a ping job is submitted and awaited
    submitted = client.post(
        "/api/v1/jobs/ping", json={"sleep_ms": 50, "fail_times": 1}, headers=admin.headers
    )
    assert submitted.status_code == 202, submitted.get_json()
    location = submitted.headers["Location"]
    done = client.get(f"{location}?wait=20", headers=admin.headers)
    # Then it succeeded after one retried failure
    body = done.get_json()
    assert body["status"] == "succeeded", body
    assert body["attempts"] == 2
    assert body["result"]["pong"] is True
