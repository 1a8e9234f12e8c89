"""Every error is application/problem+json with a stable code and the request id."""

from __future__ import annotations

import re

from storage.errors import AppError, NotFound
from tests.api.apihelpers import assert_problem

PROBLEM_KEYS = {"type", "title", "status", "detail", "code", "request_id"}


def shape(response, status: int, code: str) -> dict:
    body = assert_problem(response, status, code)
    assert PROBLEM_KEYS <= set(body), body
    assert isinstance(body["title"], str) and body["title"]
    assert isinstance(body["detail"], str) and body["detail"]
    return body


def test_malformed_json_is_400(client):
    # Given a body that claims to be JSON but is not
    # When it is posted to a schema-validated endpoint and to the hand-parsed login
    for path in ("/api/v1/auth/register", "/api/v1/auth/login"):
        response = client.post(path, data='{"email": "a@b.test", ', content_type="application/json")
        # Then it is 400 malformed_json
        shape(response, 400, "malformed_json")


def test_401_403_and_404_of_an_unknown_id(client, accounts):
    # Given an admin and a learner
    admin = accounts.admin()
    learner = accounts.member(admin, "learner")
    # When calls lack credentials, lack the role, or name an id that does not exist
    unauthenticated = client.get("/api/v1/organisation/members")
    forbidden = client.get("/api/v1/organisation/members", headers=learner.headers)
    unknown_id = client.delete("/api/v1/organisation/invites/inv_missing", headers=admin.headers)
    # Then each is a problem with its code
    shape(unauthenticated, 401, "unauthorized")
    shape(forbidden, 403, "insufficient_role")
    shape(unknown_id, 404, "invite_not_found")


def test_unknown_route_is_404(client):
    # Given a path no endpoint serves
    # When it is requested
    response = client.get("/api/v1/no-such-thing")
    # Then it is a 404 problem
    shape(response, 404, "not_found")


def test_wrong_method_is_405_with_allow(client):
    # Given an endpoint that only accepts POST
    # When it is called with DELETE
    response = client.delete("/api/v1/auth/login")
    # Then it is 405 and says which methods are allowed
    shape(response, 405, "method_not_allowed")
    assert "POST" in response.headers["Allow"]


def test_body_over_the_limit_is_413(client, settings):
    # Given a JSON body over MAX_REQUEST_BYTES (1 MiB by default)
    assert settings.max_request_bytes == 1024 * 1024
    big = '{"email": "a@b.test", "password": "' + "x" * settings.max_request_bytes + '"}'
    # When it is posted to a schema-validated endpoint and to the hand-parsed login
    for path in ("/api/v1/auth/register", "/api/v1/auth/login"):
        response = client.post(path, data=big, content_type="application/json")
        # Then it is a 413 problem
        shape(response, 413, "payload_too_large")


def test_body_over_a_smaller_configured_limit_is_413(app_with):
    # Given an app whose limit is 2 KiB
    small = app_with(max_request_bytes=2048).test_client()
    body = {"email": "a@b.test", "password": "p" * 3000, "name": "N"}
    # When a 3 KiB body is posted
    response = small.post("/api/v1/auth/register", json=body)
    # Then it is refused before any parsing
    shape(response, 413, "payload_too_large")


def test_unknown_field_is_422_naming_it(client):
    # Given a registration carrying a field the API does not know
    body = {"email": "u@example.test", "password": "long enough", "name": "U", "role": "admin"}
    # When it is posted
    response = client.post("/api/v1/auth/register", json=body)
    # Then it is refused, naming the field
    problem = shape(response, 422, "validation_error")
    assert problem["errors"] == {"role": ["Unknown field."]}


def test_bad_query_argument_is_422(client, accounts):
    # Given an admin
    admin = accounts.admin()
    # When a page number is not a number
    response = client.get("/api/v1/organisation/members?page=first", headers=admin.headers)
    # Then the query field is named
    assert "page" in shape(response, 422, "validation_error")["errors"]


def test_unhandled_exception_is_500_without_traceback(app_with):
    # Given an app with a route that fails with a revealing message
    other = app_with()

    @other.get("/boom")
    def boom():
        raise RuntimeError("db password is hunter2 at /srv/secret/path.py")

    # When it is called
    response = other.test_client().get("/boom", headers={"X-Request-ID": "trace-500"})
    # Then it is a bare 500 problem: no exception type, message or traceback
    body = shape(response, 500, "internal_error")
    assert body["request_id"] == "trace-500"
    text = response.get_data(as_text=True)
    for leak in ("Traceback", "RuntimeError", "hunter2", "secret/path", 'File "'):
        assert leak not in text


def test_request_id_is_echoed_when_sane(client):
    # Given a client that sends its own request id
    # When it calls any endpoint, successful or failing
    ok = client.get("/healthz", headers={"X-Request-ID": "client-req.42:abc"})
    failing = client.get("/api/v1/nowhere", headers={"X-Request-ID": "client-req.43"})
    # Then the id comes back in the header and in the problem body
    assert ok.headers["X-Request-ID"] == "client-req.42:abc"
    assert failing.headers["X-Request-ID"] == "client-req.43"
    assert failing.get_json()["request_id"] == "client-req.43"


def test_insane_request_id_is_replaced(client):
    # Given request ids that are too long or carry characters unsafe in logs
    for bad in ("x" * 129, "id with spaces", "<script>alert(1)</script>", 'a"b', ""):
        # When they are sent
        response = client.get("/api/v1/nowhere", headers={"X-Request-ID": bad})
        # Then a generated id replaces them, in the header and the body
        generated = response.headers["X-Request-ID"]
        assert generated != bad
        assert re.fullmatch(r"[0-9a-f]{32}", generated)
        assert response.get_json()["request_id"] == generated


def test_every_response_has_a_request_id(client):
    # Given no request id from the client
    # When two requests are made
    first = client.get("/healthz")
    second = client.get("/healthz")
    # Then each gets its own generated id
    assert first.headers["X-Request-ID"] != second.headers["X-Request-ID"]


def test_app_errors_keep_code_headers_extra_and_a_fitting_title(app_with):
    # Given routes raising the platform's errors, one with a status its class does not have
    other = app_with()

    @other.get("/slow-down")
    def slow_down():
        raise AppError(
            "Too many attempts.",
            code="rate_limited",
            status=429,
            headers={"Retry-After": "7"},
            details={"limit": 5},
        )

    @other.get("/gone")
    def gone():
        raise NotFound("No such word.", code="word_not_found")

    client = other.test_client()
    # When they are called
    limited = client.get("/slow-down")
    missing = client.get("/gone")
    # Then the code, headers and extra members come through, and titles match the status
    body = shape(limited, 429, "rate_limited")
    assert body["title"] == "Too Many Requests"
    assert body["limit"] == 5
    assert limited.headers["Retry-After"] == "7"
    assert shape(missing, 404, "word_not_found")["title"] == "Not found"
