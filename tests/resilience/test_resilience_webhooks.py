"""A webhook receiver that refuses connections for a while: once it is back, every event is
delivered, signed as Standard Webhooks says."""

from __future__ import annotations

import json

from standardwebhooks.webhooks import Webhook

from tests.resilience.resilience_support import Receiver, free_port, wait_until

JOBS = 20
# Shortened retry schedule (seconds before each attempt): 8 attempts over 17 s.
SCHEDULE = "0,1,1,2,2,3,3,5"


def test_events_reach_a_receiver_that_was_refusing_connections(stack):
    # Given a worker for jobs and webhooks on a shortened retry schedule, and the scheduler
    stack.fleet.env["WEBHOOK_RETRY_SCHEDULE"] = SCHEDULE
    worker = stack.fleet.worker(queues=("scoring", "webhooks"))
    stack.fleet.scheduler()
    admin = stack.accounts.admin()
    # and an endpoint for job.succeeded whose receiver is down (its port refuses connections)
    receiver = Receiver(free_port())
    created = stack.client.post(
        "/api/v1/webhooks",
        headers=admin.headers,
        json={"url": receiver.url(), "events": ["job.succeeded"]},
    )
    assert created.status_code == 201, created.get_json()
    endpoint = created.get_json()
    stack.fleet.wait_ready(worker)

    def deliveries() -> list[dict]:
        answer = stack.client.get(
            f"/api/v1/webhooks/{endpoint['id']}/deliveries?per_page=100", headers=admin.headers
        )
        assert answer.status_code == 200, answer.get_json()
        return answer.get_json()["items"]

    try:
        # When jobs succeed and their events' first attempts are refused
        job_ids = set()
        for _ in range(JOBS):
            answer = stack.client.post("/api/v1/jobs/ping", headers=admin.headers, json={})
            assert answer.status_code == 202
            job_ids.add(answer.get_json()["id"])
        wait_until(
            lambda: len(deliveries()) == JOBS and all(d["attempts"] >= 2 for d in deliveries()),
            90,
            "every delivery to be refused twice",
            interval=0.3,
        )
        assert {d["state"] for d in deliveries()} <= {"pending", "sending"}
        # and the receiver comes back
        receiver.start()

        # Then every delivery succeeds after its refused attempts
        wait_until(
            lambda: all(d["state"] == "succeeded" for d in deliveries()),
            60,
            "every delivery to succeed",
            interval=0.3,
        )
    finally:
        receiver.stop()
    for delivery in deliveries():
        assert delivery["attempts"] >= 3
        assert delivery["response_status"] == 200
    # and each event arrived with a valid signature, one per job
    hook = Webhook(endpoint["secret"])
    delivered: dict[str, str] = {}
    for headers, body in receiver.received():
        payload = hook.verify(body, headers)
        assert payload["type"] == "job.succeeded"
        delivered[headers["webhook-id"]] = payload["data"]["id"]
    assert sorted(delivered.values()) == sorted(job_ids)
    assert set(delivered) == {d["event_id"] for d in deliveries()}
    assert all(json.loads(body)["data"]["status"] == "succeeded" for _, body in receiver.received())
