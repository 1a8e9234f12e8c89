"""The schemathesis run with hostile strings: every operation, its generated body, query and
path values swapped for hostile ones (lone surrogates, NULs, numbers past every limit,
naive and out-of-range times, paths, huge texts, `Prefer: wait` with thousands of digits).
No answer may be a 5xx."""

from __future__ import annotations

import os
from typing import Any

import pytest
import schemathesis
from flask import Flask
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis import DataGenerationMethod

from api.jobs import submission
from tests.factories import Account
from tests.resilience.test_resilience_fuzz import FORM_TYPES, fresh_token

# A few examples per operation by default (HOSTILE_EXAMPLES), the same ones each run unless
# FUZZ_RANDOM is set; no deadline (a first request may build caches).
hostile_settings = settings(
    max_examples=int(os.environ.get("HOSTILE_EXAMPLES", "3")),
    deadline=None,
    derandomize=not os.environ.get("FUZZ_RANDOM"),
    database=None,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=list(HealthCheck),
)

# Any of these may land in a JSON body (sent as JSON escapes).
BODY_STRINGS = [
    "Hello \ud800",
    "\udfff",
    "\x00",
    "a\x00b",
    "9" * 5000,
    "-" + "9" * 30,
    "2026-01-02T03:04:05",
    "0001-01-01T00:00:00+05:00",
    "9999-12-31T23:59:59-05:00",
    "../../auth/me?x=",
    "\u202e\u0000",
    "x" * 20_000,
    "[" * 100,
    "",
]
# URL-safe ones for query strings and path segments.
URL_STRINGS = [
    "9223372036854775807",
    "9" * 5000,
    "-1",
    "0",
    "2026-01-02T03:04:05",
    "0001-01-01T00:00:00+05:00",
    "../../auth/me",
    "%00",
    "\x00",
    "x" * 3000,
    "",
]
NUMBERS = [10**30, -(10**30), 9223372036854775807, 1e308, -0.0]


@pytest.fixture
def api_schema(app: Flask):
    return schemathesis.from_wsgi("/api/v1/openapi.json", app)


@pytest.fixture
def admin(accounts) -> Account:
    return accounts.admin()


@pytest.fixture(autouse=True)
def short_long_polls(monkeypatch):
    """`Prefer: wait=999...` is still parsed and capped, but capped at 1 s: no worker runs
    here, so the documented 30 s cap would hold every such example for 30 s."""
    monkeypatch.setattr(submission, "MAX_WAIT", 1)


schema = schemathesis.from_pytest_fixture(
    "api_schema", data_generation_methods=[DataGenerationMethod.positive]
)


def _hostile(value: Any, draw: Any) -> Any:
    if isinstance(value, str):
        return draw(st.sampled_from(BODY_STRINGS))
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, int | float):
        return draw(st.sampled_from(NUMBERS))
    if isinstance(value, dict):
        return {key: _hostile(item, draw) for key, item in value.items()}
    if isinstance(value, list):
        return [_hostile(item, draw) for item in value]
    return value


@schema.parametrize()
@hostile_settings
@given(data=st.data())
def test_no_hostile_value_gets_a_server_error(case, data, admin: Account):
    send_hostile(case, data.draw, fresh_token(admin))


def send_hostile(case: Any, draw: Any, token: str) -> None:
    """Swap the case's values for hostile ones, send it, and fail on a 5xx."""
    # Form bodies keep their generated values (a form carries no JSON escapes).
    if (
        case.media_type not in FORM_TYPES
        and case.body is not None
        and not isinstance(case.body, bytes | str)
    ):
        case.body = _hostile(case.body, draw)
    if case.query:
        case.query = {key: draw(st.sampled_from(URL_STRINGS)) for key in case.query}
    if case.path_parameters:
        case.path_parameters = {
            key: draw(st.sampled_from([v for v in URL_STRINGS if v and "/" not in v]))
            for key in case.path_parameters
        }
    headers = {
        **(case.headers or {}),
        "Authorization": f"Bearer {token}",
        "Prefer": draw(st.sampled_from(["wait=" + "9" * 4301, "wait=1", "x" * 4000])),
    }
    response = case.call_wsgi(headers=headers)
    assert response.status_code < 500, (
        case.method,
        case.path,
        response.status_code,
        response.get_data(as_text=True)[:500],
    )
