"""Liveness and readiness."""

from __future__ import annotations

from tests.api.apihelpers import assert_problem


def test_healthz_answers_while_alive(client):
    # Given the running API
    # When liveness is asked
    response = client.get("/healthz")
    # Then it answers ok without touching dependencies
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok"}


def test_readyz_is_200_when_every_dependency_answers(client):
    # Given PostgreSQL, Redis and the local object store all up
    # When readiness is asked
    response = client.get("/readyz")
    # Then every check is ok
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["status"] == "ready"
    assert body["checks"] == {
        "database": "ok",
        "encryption_keys": "ok",
        "redis": "ok",
        "object_store": "ok",
    }


def test_api_starts_with_redis_down_and_reports_not_ready(app_with):
    # Given Redis configured at an address where nothing listens
    # When the app is built
    down = app_with(redis_url="redis://127.0.0.1:1/0")
    client = down.test_client()
    # Then it starts, stays alive, and readiness is 503 naming Redis only
    assert client.get("/healthz").status_code == 200
    response = client.get("/readyz")
    body = assert_problem(response, 503, "dependency_unavailable")
    assert "redis" in body["detail"]
    assert body["checks"]["redis"] == "unavailable"
    assert body["checks"]["database"] == "ok"
    # And requests that need only the database still work
    registered = client.post(
        "/api/v1/auth/register",
        json={"email": "while-down@example.test", "password": "correct horse battery", "name": "D"},
    )
    assert registered.status_code == 201, registered.get_json()


def test_readyz_names_the_database_when_it_is_down(app_with):
    # Given a database URL where nothing listens
    down = app_with(database_url="postgresql+psycopg://postgres@127.0.0.1:1/none")
    # When readiness is asked
    response = down.test_client().get("/readyz")
    # Then it is 503 naming the database
    body = assert_problem(response, 503, "dependency_unavailable")
    assert "database" in body["detail"]
    assert body["checks"]["database"] == "unavailable"


def test_embedded_mode_app_is_ready_without_redis(app_with):
    # Given an app without Redis (embedded mode: in-memory broker)
    embedded = app_with(redis_url=None)
    # When readiness is asked
    response = embedded.test_client().get("/readyz")
    # Then it is ready, and Redis is not among the checks
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["checks"] == {
        "database": "ok",
        "encryption_keys": "ok",
        "object_store": "ok",
    }
