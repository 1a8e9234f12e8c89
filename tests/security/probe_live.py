"""Re-probe issue #19 against a running platform, over HTTP, as its author did.

    make run PORT=8731 &                   # the embedded default
    python -m tests.security.probe_live --base-url http://127.0.0.1:8731 \
        --data-dir data --log-file /tmp/run.log [--only 1,2,11] [--skip-slow]

Each row of the issue is tried again, then a second probe "of the same kind" with variations
(other single-use things, other date and text fields, other list endpoints). Every check
prints PASS or FAIL with what it saw; the exit status is the number of failures (capped at
100). Registration makes many accounts from one address: run the server with
`RATE_LIMITS=register=1000/hour` so the probe is not stopped by that limit (the other limits
stay as they are, and row 10 and 12 probe them).

Not a pytest module (its name does not start with test_): it needs a running server.
"""

from __future__ import annotations

import argparse
import email
import io
import json
import os
import re
import stat
import struct
import subprocess
import sys
import threading
import time
import uuid
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import jwt
import requests

from tests.mediasamples import wav_of_seconds

PASSWORD = "correct horse battery staple 19"
HUGE = "9" * 4301
SURROGATE_BODY = '"Hello \\ud800"'


@dataclass
class Account:
    id: str
    email: str
    organisation_id: str
    access_token: str
    refresh_token: str
    password: str = PASSWORD

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.access_token}"}


@dataclass
class Result:
    row: str
    check: str
    ok: bool
    detail: str = ""


@dataclass
class Probe:
    base: str
    data_dir: Path
    log_file: Path | None
    results: list[Result] = field(default_factory=list)
    http: requests.Session = field(default_factory=requests.Session)

    # HTTP -------------------------------------------------------------------------------

    def url(self, path: str) -> str:
        return path if path.startswith("http") else self.base + path

    def call(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        kwargs.setdefault("timeout", 60)
        return self.http.request(method, self.url(path), **kwargs)

    def raw_json(self, method: str, path: str, body: str, headers: dict | None = None):
        return self.call(
            method,
            path,
            data=body.encode(),
            headers={"Content-Type": "application/json", **(headers or {})},
        )

    def at_once(self, calls: list[Callable[[requests.Session], Any]]) -> list[Any]:
        """Each call on its own thread and connection, released together."""
        barrier = threading.Barrier(len(calls))
        results: list[Any] = [None] * len(calls)

        def run(index: int, call: Callable[[requests.Session], Any]) -> None:
            session = requests.Session()
            try:
                barrier.wait(30)
                results[index] = call(session)
            except Exception as exc:  # reported, not raised
                results[index] = exc

        threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(120)
        return results

    # Accounts ---------------------------------------------------------------------------

    def admin(self) -> Account:
        mail = f"probe-{uuid.uuid4().hex[:10]}@example.test"
        answer = self.call(
            "POST",
            "/api/v1/auth/register",
            json={
                "email": mail,
                "password": PASSWORD,
                "name": "Probe Admin",
                "organisation_name": "Probe org",
            },
        )
        assert answer.status_code == 201, (answer.status_code, answer.text[:300])
        body = answer.json()
        return Account(
            body["user"]["id"],
            mail,
            body["user"]["organisation_id"],
            body["access_token"],
            body["refresh_token"],
        )

    def invite(self, admin: Account, role: str, mail: str | None = None) -> str:
        body: dict[str, Any] = {"role": role}
        if mail:
            body["email"] = mail
        answer = self.call("POST", "/api/v1/organisation/invites", json=body, headers=admin.headers)
        assert answer.status_code == 201, answer.text[:300]
        return answer.json()["code"]

    def member(self, admin: Account, role: str = "learner") -> Account:
        code = self.invite(admin, role)
        mail = f"probe-{uuid.uuid4().hex[:10]}@example.test"
        answer = self.call(
            "POST",
            "/api/v1/auth/register",
            json={"email": mail, "password": PASSWORD, "name": "Probe", "invite_code": code},
        )
        assert answer.status_code == 201, answer.text[:300]
        body = answer.json()
        return Account(
            body["user"]["id"],
            mail,
            body["user"]["organisation_id"],
            body["access_token"],
            body["refresh_token"],
        )

    def api_key(self, admin: Account, scopes: list[str]) -> str:
        answer = self.call(
            "POST",
            "/api/v1/api-keys",
            json={"name": "probe", "scopes": scopes},
            headers=admin.headers,
        )
        assert answer.status_code == 201, answer.text[:300]
        return answer.json()["key"]

    def wait_job(self, account: Account, job_id: str, seconds: int = 30) -> dict:
        deadline = time.monotonic() + 120
        while True:
            answer = self.call(
                "GET", f"/api/v1/jobs/{job_id}?wait={seconds}", headers=account.headers
            )
            job = answer.json()
            if job.get("status") in ("succeeded", "failed", "canceled"):
                return job
            if time.monotonic() > deadline:
                return job

    def upload(self, account: Account, name: str, data: bytes, kind: str) -> requests.Response:
        return self.call(
            "POST",
            "/api/v1/media",
            files={"file": (name, data)},
            data={"kind": kind},
            headers=account.headers,
        )

    # Reporting --------------------------------------------------------------------------

    def check(self, row: str, name: str, ok: bool, detail: Any = "") -> bool:
        self.results.append(Result(row, name, bool(ok), str(detail)[:400]))
        mark = "PASS" if ok else "FAIL"
        print(f"[{mark}] row {row:>4}: {name}" + ("" if ok else f"  -- {str(detail)[:400]}"))
        sys.stdout.flush()
        return bool(ok)

    def not_5xx(self, row: str, name: str, answer: requests.Response) -> bool:
        return self.check(
            row, name, answer.status_code < 500, (answer.status_code, answer.text[:200])
        )

    def problem(
        self, row: str, name: str, answer: requests.Response, status: int, code: str | None
    ) -> bool:
        try:
            body = answer.json()
        except ValueError:
            body = {}
        ok = answer.status_code == status and (code is None or body.get("code") == code)
        return self.check(row, name, ok, (answer.status_code, answer.text[:200]))


# Row 1 and its kind: refresh tokens, password-reset tokens, invites ------------------------


def row1_refresh(p: Probe) -> None:
    for attempt in range(4):
        admin = p.admin()
        body = {"refresh_token": admin.refresh_token}
        answers = p.at_once(
            [lambda s, b=body: s.post(p.url("/api/v1/auth/refresh"), json=b, timeout=60)] * 4
        )
        statuses = sorted(getattr(a, "status_code", repr(a)) for a in answers)
        p.check(
            "1",
            f"4 parallel refreshes of one token: one 200 (try {attempt + 1})",
            statuses == [200, 401, 401, 401],
            statuses,
        )
    admin = p.admin()
    p.call("POST", "/api/v1/auth/logout", headers=admin.headers)
    again = p.call("POST", "/api/v1/auth/refresh", json={"refresh_token": admin.refresh_token})
    p.problem("1", "refresh after logout refused", again, 401, None)
    # A token minted by a winner whose family was then revoked as reuse is dead too.
    admin = p.admin()
    first = p.call("POST", "/api/v1/auth/refresh", json={"refresh_token": admin.refresh_token})
    p.call("POST", "/api/v1/auth/refresh", json={"refresh_token": admin.refresh_token})
    minted = first.json()
    me = p.call(
        "GET", "/api/v1/auth/me", headers={"Authorization": f"Bearer {minted['access_token']}"}
    )
    again = p.call("POST", "/api/v1/auth/refresh", json={"refresh_token": minted["refresh_token"]})
    p.check(
        "1",
        "reuse revokes the family: the winner's new tokens die",
        me.status_code == 401 and again.status_code == 401,
        (me.status_code, again.status_code),
    )


def _reset_token(p: Probe, mail: str) -> str | None:
    folder = p.data_dir / "mail"
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        for path in sorted(folder.glob("*.eml"), key=lambda f: f.stat().st_mtime, reverse=True):
            message = email.message_from_bytes(path.read_bytes())
            if mail not in (message.get("To") or ""):
                continue
            text = ""
            for part in message.walk():
                if part.get_content_type() == "text/plain":
                    text += part.get_payload(decode=True).decode("utf-8", "replace")
            found = re.search(r"token=([A-Za-z0-9_\-]{20,})", text) or re.search(
                r"\b([A-Za-z0-9_\-]{40,})\b", text
            )
            if found:
                return found.group(1)
        time.sleep(0.3)
    return None


def row1_kind_password_reset(p: Probe) -> None:
    admin = p.admin()
    asked = p.call("POST", "/api/v1/auth/password-reset", json={"email": admin.email})
    token = _reset_token(p, admin.email)
    if not p.check("1+", "password reset mail found in DATA_DIR/mail", token, asked.status_code):
        return
    bodies = [
        {"token": token, "new_password": f"brand new passphrase number {n} ok"} for n in range(4)
    ]
    answers = p.at_once(
        [
            lambda s, b=b: s.post(p.url("/api/v1/auth/password-reset/confirm"), json=b, timeout=60)
            for b in bodies
        ]
    )
    statuses = [getattr(a, "status_code", repr(a)) for a in answers]
    winners = [bodies[i]["new_password"] for i, s in enumerate(statuses) if s in (200, 204)]
    p.check(
        "1+",
        "4 parallel confirmations of one reset token: one wins",
        len(winners) == 1 and all(s in (200, 204, 422) for s in statuses),
        statuses,
    )
    if winners:
        login = p.call(
            "POST", "/api/v1/auth/login", json={"email": admin.email, "password": winners[0]}
        )
        p.check(
            "1+", "the winning password is the one set", login.status_code == 200, login.status_code
        )


# Row 2 and its kind --------------------------------------------------------------------


def _count_admins(p: Probe, admin: Account) -> int:
    answer = p.call("GET", "/api/v1/organisation/members?per_page=100", headers=admin.headers)
    return sum(
        1 for m in answer.json()["items"] if m["role"] == "admin" and m.get("is_active", True)
    )


def row2_invites(p: Probe) -> None:
    for attempt in range(3):
        admin = p.admin()
        code = p.invite(admin, "admin")

        def redeem(n: int, code: str = code):
            mail = f"racer-{uuid.uuid4().hex[:8]}@example.test"
            return lambda s: s.post(
                p.url("/api/v1/auth/register"),
                timeout=60,
                json={
                    "email": mail,
                    "password": PASSWORD,
                    "name": f"Racer {n}",
                    "invite_code": code,
                },
            )

        answers = p.at_once([redeem(n) for n in range(4)])
        statuses = sorted(getattr(a, "status_code", repr(a)) for a in answers)
        admins = _count_admins(p, admin)
        p.check(
            "2",
            f"one admin invite, 4 parallel registrations: one member (try {attempt + 1})",
            statuses == [201, 422, 422, 422] and admins == 2,
            (statuses, admins),
        )
    # The kind: an invite bound to an email, redeemed by another spelling and another email.
    admin = p.admin()
    bound = f"bound-{uuid.uuid4().hex[:6]}@example.test"
    code = p.invite(admin, "teacher", bound)
    other = p.call(
        "POST",
        "/api/v1/auth/register",
        json={
            "email": "someone-else@example.test",
            "password": PASSWORD,
            "name": "X",
            "invite_code": code,
        },
    )
    p.check(
        "2+",
        "an email-bound invite refuses another email",
        400 <= other.status_code < 500,
        other.status_code,
    )
    upper = p.call(
        "POST",
        "/api/v1/auth/register",
        json={"email": bound.upper(), "password": PASSWORD, "name": "X", "invite_code": code},
    )
    p.check(
        "2+",
        "the bound email in capitals is the same email",
        upper.status_code == 201,
        (upper.status_code, upper.text[:200]),
    )
    third = p.call(
        "POST",
        "/api/v1/auth/register",
        json={
            "email": "third@example.test",
            "password": PASSWORD,
            "name": "X",
            "invite_code": code,
        },
    )
    p.check("2+", "a used invite is refused", third.status_code == 422, third.status_code)


# Row 3: long polls ----------------------------------------------------------------------


def row3_long_polls(p: Probe) -> None:
    first = p.admin()
    admins = [first] + [p.member(first, "admin") for _ in range(5)]
    job = p.call("POST", "/api/v1/jobs/ping", json={"sleep_ms": 20_000}, headers=first.headers)
    job_id = job.json()["id"]
    results: list[Any] = [None] * 50

    def poll(index: int) -> None:
        started = time.monotonic()
        try:
            answer = requests.get(
                p.url(f"/api/v1/jobs/{job_id}?wait=10"),
                timeout=60,
                headers=admins[index % len(admins)].headers,
            )
            results[index] = (answer.status_code, time.monotonic() - started)
        except Exception as exc:
            results[index] = (repr(exc), 0)

    threads = [threading.Thread(target=poll, args=(i,)) for i in range(50)]
    for thread in threads:
        thread.start()
    time.sleep(1.5)
    latencies = []
    session = requests.Session()
    for _ in range(100):
        started = time.monotonic()
        answer = session.get(p.url("/api/v1/auth/me"), headers=first.headers, timeout=60)
        latencies.append(time.monotonic() - started)
        if answer.status_code != 200:
            latencies[-1] = 99.0
    for thread in threads:
        thread.join(60)
    latencies.sort()
    p99 = latencies[98]
    p.check(
        "3",
        f"50 long polls: /auth/me p99 {p99 * 1000:.0f} ms (median "
        f"{latencies[50] * 1000:.0f} ms) under 100 ms",
        p99 < 0.1,
        latencies[-5:],
    )
    waited = sum(1 for s, t in results if s == 200 and t >= 9)
    p.check(
        "3",
        "every long poll answered 200 after its wait",
        waited == 50,
        sorted(str(r) for r in results)[:5],
    )
    # One caller: at most 10 waits
    lone = p.member(first, "admin")
    bound: list[Any] = [None] * 12

    def poll_lone(index: int) -> None:
        started = time.monotonic()
        answer = requests.get(
            p.url(f"/api/v1/jobs/{job_id}?wait=4"), headers=lone.headers, timeout=60
        )
        bound[index] = (answer.status_code, time.monotonic() - started)

    threads = [threading.Thread(target=poll_lone, args=(i,)) for i in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    held = sum(1 for s, t in bound if t >= 3.5)
    quick = sum(1 for s, t in bound if t < 1.5)
    p.check(
        "3",
        "12 polls of one caller: 10 wait, 2 answered at once",
        (held, quick) == (10, 2) and all(s == 200 for s, _ in bound),
        bound,
    )


# Row 4: zip with a forged count ----------------------------------------------------------


def _zip_of(count: int, claimed: int | None = None) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as archive:
        for index in range(count):
            archive.writestr(f"w{index}.txt", b"x")
    data = buffer.getvalue()
    if claimed is not None:
        where = data.rfind(b"PK\x05\x06")
        forged = bytearray(data)
        struct.pack_into("<HH", forged, where + 8, claimed, claimed)
        data = bytes(forged)
    return data


def row4_zip(p: Probe) -> None:
    admin = p.admin()
    for label, path, body_key in (
        ("media import", "/api/v1/media/imports", "archive_media_id"),
        ("course import", "/api/v1/courses/imports", "archive_media_id"),
    ):
        uploaded = p.upload(admin, "forged.zip", _zip_of(6000, 1), "archive")
        if uploaded.status_code != 201:
            p.check(
                "4",
                f"{label}: forged zip refused at upload",
                400 <= uploaded.status_code < 500,
                (uploaded.status_code, uploaded.text[:200]),
            )
            continue
        job = p.call("POST", path, json={body_key: uploaded.json()["id"]}, headers=admin.headers)
        if job.status_code >= 400:
            p.check("4", f"{label}: forged zip refused", job.status_code < 500, job.text[:200])
            continue
        done = p.wait_job(admin, job.json()["id"])
        error = done.get("error") or {}
        p.check(
            "4",
            f"{label}: 6,000 entries claiming 1 are refused as too many",
            done["status"] == "failed" and error.get("code") == "archive_too_many_entries",
            (done["status"], error),
        )


# Row 5 / 11: lone surrogates --------------------------------------------------------------


def row5_surrogates(p: Probe) -> None:
    admin = p.admin()
    hook = p.call(
        "POST", "/api/v1/webhooks", json={"url": "https://example.com/hook"}, headers=admin.headers
    )
    p.check("5", "webhook endpoint made", hook.status_code == 201, hook.text[:200])
    answer = p.raw_json(
        "POST",
        "/api/v1/assessments/writing",
        '{"text": "Hello \\ud800 I like apples.", "language": "en"}',
        admin.headers,
    )
    p.problem(
        "5",
        "writing text with a lone surrogate is 400 invalid_unicode",
        answer,
        400,
        "invalid_unicode",
    )
    cases = [
        ("PATCH", "/api/v1/auth/me", '{"name": %s}'),
        ("PATCH", "/api/v1/organisation", '{"name": %s}'),
        ("POST", "/api/v1/words", '{"language": "en", "term": %s}'),
        ("POST", "/api/v1/webhooks", '{"url": "https://example.com/h", "description": %s}'),
        ("PUT", f"/api/v1/lms-identities/{admin.id}", '{"external_id": %s}'),
        # the kind: other texts, keys, nesting
        ("POST", "/api/v1/hints", '{"word": %s, "language": "en"}'),
        ("POST", "/api/v1/plans", '{"goals": [%s], "language": "en"}'),
        ("POST", "/api/v1/courses", '{"title": %s, "language": "en"}'),
        ("POST", "/api/v1/courses/imports", '{"package": {"course": {"title": %s}}}'),
        ("POST", "/api/v1/jobs/ping", "{%s: 1}"),
        ("POST", "/api/v1/conversations/sessions", '{"scenario": %s}'),
        ("PUT", "/api/v1/learners/lms/moodle/abc", '{"name": %s}'),
        ("POST", "/api/v1/organisation/invites", '{"role": "learner", "email": %s}'),
        ("POST", "/api/v1/api-keys", '{"name": %s, "scopes": ["jobs:read"]}'),
    ]
    for method, path, template in cases:
        answer = p.raw_json(method, path, template % SURROGATE_BODY, admin.headers)
        p.problem(
            "5/11", f"lone surrogate in {method} {path} is 400", answer, 400, "invalid_unicode"
        )
    # Texts that do not arrive as JSON: a form login, a query, a file name, a header.
    form = p.call(
        "POST",
        "/api/v1/auth/login",
        data=b"username=%ED%A0%80@x.test&password=x&grant_type=password",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    p.not_5xx("5+", "CESU-8 surrogate bytes in a form login", form)
    query = p.call("GET", "/api/v1/words?q=%ED%A0%80&search=%ED%A0%80", headers=admin.headers)
    p.not_5xx("5+", "CESU-8 surrogate bytes in a query", query)
    path = p.call("GET", "/api/v1/jobs/%ED%A0%80", headers=admin.headers)
    p.not_5xx("5+", "CESU-8 surrogate bytes in a path", path)
    named = p.upload(
        admin,
        "a\udcedb.wav".encode("utf-8", "surrogateescape").decode("latin-1"),
        wav_of_seconds(0.3),
        "audio",
    )
    p.not_5xx("5+", "odd bytes in a file name", named)
    idem = p.call(
        "POST",
        "/api/v1/jobs/ping",
        json={},
        headers={**admin.headers, "Idempotency-Key": "k\xe9\xff"},
    )
    p.not_5xx("5+", "latin-1 Idempotency-Key", idem)
    # A course package inside a zip (not checked at the edge): the job ends cleanly.
    package = {
        "course": {
            "title": "Bad \ud800 title",
            "language": "en",
            "level_min": "A1",
            "level_max": "A2",
        },
        "chapters": [],
    }
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("course.json", json.dumps(package))  # ensure_ascii: "\ud800"
    uploaded = p.upload(admin, "course.zip", buffer.getvalue(), "archive")
    if p.check("5+", "course zip uploaded", uploaded.status_code == 201, uploaded.text[:200]):
        job = p.call(
            "POST",
            "/api/v1/courses/imports",
            json={"archive_media_id": uploaded.json()["id"]},
            headers=admin.headers,
        )
        done = p.wait_job(admin, job.json()["id"])
        error = done.get("error") or {}
        p.check(
            "5+",
            "a surrogate inside an imported course.json: a clear, final outcome",
            done["status"] == "succeeded"
            or (
                done["status"] == "failed"
                and error.get("code") != "internal_error"
                and not error.get("retryable")
            ),
            (done["status"], error),
        )
        courses = p.call("GET", "/api/v1/courses?per_page=100", headers=admin.headers)
        p.not_5xx("5+", "listing courses afterwards", courses)
    events = p.call("GET", "/api/v1/events", headers=admin.headers)
    p.not_5xx("5+", "events list afterwards", events)


# Row 6: upload tokens -------------------------------------------------------------------


def _start_upload(p: Probe, account: Account, name: str = "a.wav") -> tuple[str, str]:
    answer = p.call(
        "POST",
        "/api/v1/media/uploads",
        headers=account.headers,
        json={"filename": name, "kind": "audio"},
    )
    assert answer.status_code == 201, answer.text[:300]
    body = answer.json()
    return body["media"]["id"], body["upload"]["url"]


def row6_upload_tokens(p: Probe) -> dict:
    admin = p.admin()
    wav, bigger = wav_of_seconds(1.0), wav_of_seconds(3.0)
    media_id, url = _start_upload(p, admin)
    p.check(
        "18",
        "presigned URL follows PUBLIC_BASE_URL's port",
        urlsplit(url).port == urlsplit(p.base).port,
        url[:80],
    )
    put = p.call("PUT", urlsplit(url).path, data=wav)
    done = p.call("POST", f"/api/v1/media/{media_id}/complete", headers=admin.headers)
    p.check(
        "6",
        "upload and complete",
        put.status_code == 200 and done.status_code == 200,
        (put.status_code, done.status_code),
    )
    again = p.call("PUT", urlsplit(url).path, data=bigger)
    p.problem("6", "the URL writes nothing after complete", again, 409, "upload_closed")
    content = p.call("GET", f"/api/v1/media/{media_id}/content", headers=admin.headers)
    p.check(
        "6",
        "the stored file is still the one checked",
        content.content == wav,
        len(content.content),
    )
    # Written once
    media_id, url = _start_upload(p, admin)
    p.call("PUT", urlsplit(url).path, data=wav)
    p.problem(
        "6",
        "a second PUT before complete is refused",
        p.call("PUT", urlsplit(url).path, data=bigger),
        409,
        "upload_closed",
    )
    # Deleted
    media_id, url = _start_upload(p, admin)
    p.call("DELETE", f"/api/v1/media/{media_id}", headers=admin.headers)
    p.problem(
        "6",
        "the URL of a deleted upload writes nothing",
        p.call("PUT", urlsplit(url).path, data=wav),
        409,
        "upload_closed",
    )
    # Refused at complete
    media_id, url = _start_upload(p, admin, "notes.wav")
    p.call("PUT", urlsplit(url).path, data=b"plain text, not audio" * 10)
    refused = p.call("POST", f"/api/v1/media/{media_id}/complete", headers=admin.headers)
    p.check(
        "6",
        "a non-audio upload is refused at complete",
        400 <= refused.status_code < 500,
        refused.status_code,
    )
    p.problem(
        "6",
        "the URL of a refused upload writes nothing",
        p.call("PUT", urlsplit(url).path, data=wav),
        409,
        "upload_closed",
    )
    # Parallel PUTs
    media_id, url = _start_upload(p, admin)
    answers = p.at_once(
        [
            lambda s: s.put(p.url(urlsplit(url).path), data=wav, timeout=60),
            lambda s: s.put(p.url(urlsplit(url).path), data=bigger, timeout=60),
        ]
    )
    p.check(
        "6",
        "two parallel PUTs: one stored",
        sorted(getattr(a, "status_code", 0) for a in answers) == [200, 409],
        answers,
    )
    # The kind: parallel completes, and a multipart upload's part URLs after complete/abort
    media_id, url = _start_upload(p, admin)
    p.call("PUT", urlsplit(url).path, data=wav)
    answers = p.at_once(
        [
            lambda s: s.post(
                p.url(f"/api/v1/media/{media_id}/complete"), headers=admin.headers, timeout=60
            )
        ]
        * 3
    )
    statuses = sorted(getattr(a, "status_code", repr(a)) for a in answers)
    p.check(
        "6+", "3 parallel completes: one 200, the others 409", statuses == [200, 409, 409], statuses
    )
    started = p.call(
        "POST",
        "/api/v1/media/multipart",
        headers=admin.headers,
        json={"filename": "big.wav", "kind": "audio"},
    )
    if p.check("6+", "multipart upload started", started.status_code == 201, started.text[:200]):
        media_id = started.json()["media"]["id"]
        part = p.call("GET", f"/api/v1/media/{media_id}/multipart/1", headers=admin.headers)
        part_url = urlsplit(part.json()["url"]).path
        written = p.call("PUT", part_url, data=wav)
        etag = written.headers.get("ETag", "").strip('"')
        complete = p.call(
            "POST",
            f"/api/v1/media/{media_id}/multipart/complete",
            headers=admin.headers,
            json={"parts": [{"PartNumber": 1, "ETag": etag}]},
        )
        p.check("6+", "multipart complete", complete.status_code == 200, complete.text[:200])
        p.problem(
            "6+",
            "a part URL writes nothing after complete",
            p.call("PUT", part_url, data=bigger),
            409,
            "upload_closed",
        )
    started = p.call(
        "POST",
        "/api/v1/media/multipart",
        headers=admin.headers,
        json={"filename": "big.wav", "kind": "audio"},
    )
    media_id = started.json()["media"]["id"]
    part = p.call("GET", f"/api/v1/media/{media_id}/multipart/1", headers=admin.headers)
    p.call("DELETE", f"/api/v1/media/{media_id}/multipart", headers=admin.headers)
    p.problem(
        "6+",
        "a part URL writes nothing after abort",
        p.call("PUT", urlsplit(part.json()["url"]).path, data=wav),
        409,
        "upload_closed",
    )
    return {"token_url": url}


# Row 7: log redaction -------------------------------------------------------------------


def row7_logs(p: Probe, token_url: str) -> None:
    if p.log_file is None:
        p.check("7", "log file given", False, "no --log-file")
        return
    time.sleep(1)
    text = p.log_file.read_text(errors="replace")
    token = urlsplit(token_url).path.rsplit("/", 1)[1]
    leaked = [part for part in token.split(".") if len(part) > 8 and part in text]
    p.check("7", "no part of a presigned upload token in the server's log", not leaked, leaked[:2])
    p.check("7", "the PUT is logged redacted", "/api/v1/media/local/[redacted]" in text, "")
    jwt_like = re.findall(r"eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}", text)
    p.check("7+", "no JWT in the log", not jwt_like, jwt_like[:1])
    keys = re.findall(r"lak_[A-Za-z0-9_-]{12,}", text)
    p.check("7+", "no API key in the log", not keys, keys[:1])
    secrets_ = re.findall(r"whsec_[A-Za-z0-9+/=]{12,}", text)
    p.check("7+", "no webhook secret in the log", not secrets_, secrets_[:1])


# Row 8: keys ----------------------------------------------------------------------------


def row8_keys(p: Probe) -> None:
    secret_file = p.data_dir / ".secret_key"
    secret = os.environ.get("SECRET_KEY") or (
        secret_file.read_text().strip() if secret_file.exists() else ""
    )
    admin = p.admin()
    try:
        jwt.decode(admin.access_token, secret, algorithms=["HS256"])
        raw_signs = True
    except jwt.InvalidTokenError:
        raw_signs = False
    p.check(
        "8",
        "access tokens are not signed with SECRET_KEY itself",
        secret and not raw_signs,
        "verified with the raw secret",
    )
    _, url = _start_upload(p, admin)
    token = urlsplit(url).path.rsplit("/", 1)[1]
    from storage.objectstore import InvalidToken, verify_token

    try:
        verify_token(secret, token)
        raw_url = True
    except InvalidToken:
        raw_url = False
    p.check("8", "upload URLs are not signed with SECRET_KEY itself", not raw_url, "")


def row8_rotation_seed(p: Probe, state: Path) -> None:
    admin = p.admin()
    hook = p.call(
        "POST", "/api/v1/webhooks", json={"url": "https://example.com/rot"}, headers=admin.headers
    ).json()
    p.call("POST", "/api/v1/callback-secret/rotate", headers=admin.headers)
    state.write_text(
        json.dumps({"email": admin.email, "hook": hook["id"], "token": admin.access_token})
    )
    p.check("8", "rotation seed written", True, state)


def row8_rotation_check(p: Probe, state: Path) -> None:
    seed = json.loads(state.read_text())
    old = p.call("GET", "/api/v1/auth/me", headers={"Authorization": f"Bearer {seed['token']}"})
    p.check(
        "8",
        "after rotation the old access token is refused",
        old.status_code == 401,
        old.status_code,
    )
    login = p.call(
        "POST", "/api/v1/auth/login", json={"email": seed["email"], "password": PASSWORD}
    )
    headers = {"Authorization": f"Bearer {login.json()['access_token']}"}
    hook = p.call("GET", f"/api/v1/webhooks/{seed['hook']}", headers=headers)
    p.check(
        "8",
        "after rotation the webhook answers",
        hook.status_code == 200,
        (hook.status_code, hook.text[:200]),
    )
    for method, path in (
        ("POST", f"/api/v1/webhooks/{seed['hook']}/test"),
        ("GET", "/api/v1/callback-secret"),
        ("GET", "/api/v1/webhooks"),
    ):
        answer = p.call(method, path, headers=headers)
        p.not_5xx("8", f"after rotation {method} {path}", answer)


# Row 9: admin demotion ------------------------------------------------------------------


def row9_demotion(p: Probe) -> None:
    for attempt in range(4):
        first = p.admin()
        second = p.member(first, "admin")

        def demote(account: Account):
            return lambda s: s.patch(
                p.url(f"/api/v1/organisation/members/{account.id}"),
                json={"role": "teacher"},
                headers=account.headers,
                timeout=60,
            )

        answers = p.at_once([demote(first), demote(second)])
        statuses = sorted(getattr(a, "status_code", repr(a)) for a in answers)
        p.check(
            "9",
            f"two admins demote themselves at once: one stays (try {attempt + 1})",
            statuses == [200, 409],
            statuses,
        )
    # The kind: one demotes, the other deactivates the first, at once
    first = p.admin()
    second = p.member(first, "admin")
    answers = p.at_once(
        [
            lambda s: s.patch(
                p.url(f"/api/v1/organisation/members/{second.id}"),
                json={"role": "learner"},
                headers=second.headers,
                timeout=60,
            ),
            lambda s: s.post(
                p.url(f"/api/v1/organisation/members/{first.id}/deactivate"),
                headers=second.headers,
                timeout=60,
            ),
            lambda s: s.post(
                p.url(f"/api/v1/organisation/members/{second.id}/deactivate"),
                headers=first.headers,
                timeout=60,
            ),
        ]
    )
    statuses = [getattr(a, "status_code", repr(a)) for a in answers]
    # Whatever won, an active admin remains; read as whoever is still an admin
    left = 0
    for account in (first, second):
        login = p.call(
            "POST", "/api/v1/auth/login", json={"email": account.email, "password": PASSWORD}
        )
        if login.status_code == 200:
            token = login.json()["access_token"]
            members = p.call(
                "GET",
                "/api/v1/organisation/members?per_page=100",
                headers={"Authorization": f"Bearer {token}"},
            )
            if members.status_code == 200:
                left = sum(
                    1
                    for m in members.json()["items"]
                    if m["role"] == "admin" and m.get("is_active", True)
                )
                break
    p.check(
        "9+",
        "demote + deactivate + deactivate at once: an active admin remains",
        left >= 1 and all(isinstance(s, int) and s < 500 for s in statuses),
        (statuses, left),
    )


# Row 10 / 12: rate limits ---------------------------------------------------------------


def row10_retry_after(p: Probe) -> None:
    admin = p.admin()
    wrong = {"email": admin.email, "password": "wrong password guess"}
    answer = None
    for _ in range(15):
        answer = p.call("POST", "/api/v1/auth/login", json=wrong)
        if answer.status_code == 429:
            break
    if not p.check("10", "wrong logins end in 429", answer.status_code == 429, answer.status_code):
        return
    first_wait = int(answer.headers.get("Retry-After", "0"))
    for _ in range(10):
        p.call("POST", "/api/v1/auth/login", json=wrong)
    later = p.call("POST", "/api/v1/auth/login", json=wrong)
    later_wait = int(later.headers.get("Retry-After", "999"))
    p.check(
        "10",
        "hammering does not push Retry-After on",
        later_wait <= first_wait,
        (first_wait, later_wait),
    )
    time.sleep(later_wait + 0.2)
    right = p.call("POST", "/api/v1/auth/login", json={"email": admin.email, "password": PASSWORD})
    p.check(
        "10",
        f"after waiting Retry-After ({later_wait} s) the right password gets in",
        right.status_code == 200,
        right.status_code,
    )


def row12_password_rate(p: Probe) -> None:
    admin = p.admin()
    body = {"current_password": "wrong guess", "new_password": "another long passphrase 19"}
    statuses = [
        p.call("POST", "/api/v1/auth/password", json=body, headers=admin.headers) for _ in range(7)
    ]
    codes = [a.status_code for a in statuses]
    p.check(
        "12",
        "wrong current passwords: 429 after 5",
        codes[:5] == [401] * 5
        and codes[5:] == [429, 429]
        and int(statuses[5].headers.get("Retry-After", 0)) > 0,
        codes,
    )


# Row 11: JSON, dates, Prefer, pages ------------------------------------------------------


def _openapi(p: Probe) -> dict:
    return p.call("GET", "/api/v1/openapi.json").json()


def _resolve(spec: dict, schema: dict) -> dict:
    while "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[1]
        schema = spec["components"]["schemas"][name]
    return schema


def row11_json(p: Probe) -> None:
    admin = p.admin()
    deep = "[" * 1000 + "]" * 1000
    answer = p.raw_json("POST", "/api/v1/auth/login", f'{{"email": {deep}}}')
    p.problem("11", "1,000-deep JSON on login is 400 json_too_deep", answer, 400, "json_too_deep")
    p.check("11", "no traceback in the answer", "Traceback" not in answer.text, answer.text[:100])
    for path in ("/api/v1/auth/register", "/api/v1/auth/refresh", "/api/v1/jobs/ping"):
        answer = p.raw_json("POST", path, deep, admin.headers)
        p.not_5xx("11+", f"deep JSON on {path}", answer)
    answer = p.raw_json("POST", "/api/v1/auth/login", f'{{"email": {HUGE}, "password": "x"}}')
    p.not_5xx("11", "a 4,301-digit number in a body", answer)
    spec = _openapi(p)
    # Every date or date-time query parameter, naive and off the calendar
    date_values = [
        "2026-01-02T03:04:05",
        "0001-01-01T00:00:00+05:00",
        "9999-12-31T23:59:59-05:00",
        "2026-13-45",
        "0001-01-01",
        "9999-12-31",
        "1970-01-01T00:00:00",
    ]
    seen = 0
    for path, item in spec["paths"].items():
        for method, op in item.items():
            if method != "get":
                continue
            for param in op.get("parameters", []):
                schema = _resolve(spec, param.get("schema", {}))
                if param.get("in") != "query" or schema.get("format") not in ("date", "date-time"):
                    continue
                if "{" in path:
                    continue
                seen += 1
                for value in date_values:
                    answer = p.call(
                        "GET", path, params={param["name"]: value}, headers=admin.headers
                    )
                    p.not_5xx("11", f"GET {path}?{param['name']}={value}", answer)
    p.check("11", f"date query parameters found in the OpenAPI document: {seen}", seen >= 4, seen)
    # Date-time fields in bodies (assignments' due_at and any other)
    body_dates = []
    for path, item in spec["paths"].items():
        for method, op in item.items():
            if not isinstance(op, dict):
                continue
            content = (op.get("requestBody") or {}).get("content", {})
            schema = content.get("application/json", {}).get("schema")
            if not schema:
                continue
            props = _resolve(spec, schema).get("properties", {})
            for name, prop in props.items():
                if _resolve(spec, prop).get("format") in ("date", "date-time"):
                    body_dates.append((method, path, name))
    p.check("11+", f"date fields in request bodies: {body_dates}", True)
    _assignment_dates(p, admin)
    # Prefer: wait with 4,301 digits, and a retry with the same key
    headers = {**admin.headers, "Prefer": f"wait={HUGE}", "Idempotency-Key": uuid.uuid4().hex}
    first = p.call("POST", "/api/v1/jobs/ping", json={}, headers=headers)
    second = p.call("POST", "/api/v1/jobs/ping", json={}, headers=headers)
    p.check(
        "11",
        "Prefer: wait=<4,301 digits>: answered, capped",
        first.status_code in (200, 202)
        and first.headers.get("Preference-Applied", "wait=30") == "wait=30",
        (first.status_code, first.headers.get("Preference-Applied")),
    )
    p.check(
        "11",
        "the retry with the same key replays the same job",
        second.status_code < 500 and second.json().get("id") == first.json().get("id"),
        (second.status_code, second.text[:100]),
    )
    wait = p.call(
        "GET", f"/api/v1/jobs/{first.json()['id']}", params={"wait": HUGE}, headers=admin.headers
    )
    p.problem("11", "?wait=<4,301 digits> is 422", wait, 422, "validation_error")
    for prefer in ("wait=-1", "wait=1e9", "wait=0x10", "wait=" + "9" * 100_00, "wait"):
        answer = p.call(
            "GET", f"/api/v1/jobs/{first.json()['id']}", headers={**admin.headers, "Prefer": prefer}
        )
        p.not_5xx("11+", f"GET a job with Prefer: {prefer[:20]}", answer)
    # Every list: a page past any offset
    pages = 0
    for path, item in spec["paths"].items():
        op = item.get("get")
        if not op or "{" in path:
            continue
        if not any(param.get("name") == "page" for param in op.get("parameters", [])):
            continue
        pages += 1
        for value in ("9223372036854775807", HUGE, "-1", "0"):
            answer = p.call(
                "GET", path, params={"page": value, "per_page": value}, headers=admin.headers
            )
            ok = answer.status_code < 500
            if value != "0" and value != "-1":
                ok = ok and answer.status_code in (200, 400, 403, 422)
            p.check(
                "11", f"GET {path}?page={value[:20]}", ok, (answer.status_code, answer.text[:150])
            )
    p.check("11", f"paged lists found: {pages}", pages >= 10, pages)


def _assignment_dates(p: Probe, admin: Account) -> None:
    made = p.call("POST", "/api/v1/classes", json={"name": "Probe class"}, headers=admin.headers)
    if made.status_code != 201:
        p.check("11+", "a class for the assignment dates", False, made.text[:200])
        return
    class_id = made.json()["id"]
    for value in (
        "2026-01-02T03:04:05",
        "0001-01-01T00:00:00+05:00",
        "9999-12-31T23:59:59-05:00",
        "9999-12-31T23:59:59+00:00",
    ):
        answer = p.call(
            "POST",
            "/api/v1/assignments",
            headers=admin.headers,
            json={
                "class_id": class_id,
                "title": "Due",
                "kind": "writing",
                "due_at": value,
                "prompt_text": "Write about your day.",
            },
        )
        p.not_5xx("11+", f"POST /assignments due_at={value}", answer)
        if answer.status_code == 201:
            listed = p.call("GET", "/api/v1/assignments", headers=admin.headers)
            p.not_5xx("11+", f"GET /assignments after due_at={value}", listed)


# Row 13: callbacks ----------------------------------------------------------------------


def row13_callbacks(p: Probe) -> None:
    admin = p.admin()
    learner = p.member(admin, "learner")
    answer = p.call(
        "POST",
        "/api/v1/assessments/writing",
        headers=learner.headers,
        json={"text": "I like apples.", "language": "en", "callback_url": "https://example.com/cb"},
    )
    p.problem("13", "a learner cannot ask for a callback", answer, 403, "callback_not_allowed")
    for url in (
        "http://10.0.0.5/cb",
        "http://169.254.169.254/latest/meta-data",
        "http://[::ffff:127.0.0.1]/cb",
        "http://0177.0.0.1/cb",
        "http://2130706433/cb",
        "http://[fd00::1]/cb",
        "http://100.64.0.1/cb",
        "http://0.0.0.0/cb",
    ):
        answer = p.call(
            "POST", "/api/v1/jobs/ping", headers=admin.headers, json={"callback_url": url}
        )
        p.check(
            "13",
            f"callback to {url} refused at submission",
            answer.status_code in (400, 422),
            (answer.status_code, answer.text[:150]),
        )
    # The kind: webhook endpoints
    for url in ("http://10.0.0.5/hook", "http://169.254.169.254/hook", "http://0x7f000001/h"):
        answer = p.call("POST", "/api/v1/webhooks", headers=admin.headers, json={"url": url})
        p.check(
            "13+",
            f"webhook endpoint {url} refused",
            answer.status_code in (400, 422),
            (answer.status_code, answer.text[:150]),
        )


# Row 14: media ids ----------------------------------------------------------------------


def row14_media_ids(p: Probe) -> None:
    teacher = p.admin()
    stranger = p.admin()
    foreign = p.upload(stranger, "w.wav", wav_of_seconds(0.5), "audio").json()["id"]
    own = p.upload(teacher, "w.wav", wav_of_seconds(0.5), "audio").json()["id"]
    for bad in ("../../auth/me?x=", "med_doesnotexist", foreign, "%2e%2e%2f"):
        answer = p.call(
            "POST",
            "/api/v1/words",
            headers=teacher.headers,
            json={"language": "en", "term": "apple", "media_ids": [bad]},
        )
        p.problem(
            "14", f"a word naming media {bad[:20]!r} is refused", answer, 422, "media_not_found"
        )
    word = p.call(
        "POST",
        "/api/v1/words",
        headers=teacher.headers,
        json={"language": "en", "term": "pear", "media_ids": [own]},
    )
    p.check("14", "own media accepted", word.status_code == 201, word.text[:200])
    patched = p.call(
        "PATCH",
        f"/api/v1/words/{word.json()['id']}",
        headers=teacher.headers,
        json={"media_ids": [own, foreign]},
    )
    p.problem("14", "patching in a foreign media id is refused", patched, 422, "media_not_found")
    # The kind: other places that take media ids
    for path, body in (
        ("/api/v1/media/imports", {"media_ids": [foreign]}),
        ("/api/v1/assessments/speaking", {"media_id": foreign, "language": "en"}),
        ("/api/v1/transcriptions", {"media_id": foreign, "language": "en"}),
    ):
        answer = p.call("POST", path, headers=teacher.headers, json=body)
        p.check(
            "14+",
            f"{path} with another organisation's media id refused",
            answer.status_code in (404, 422),
            (answer.status_code, answer.text[:150]),
        )


# Row 15: passwords ----------------------------------------------------------------------


def row15_passwords(p: Probe) -> None:
    for password in (
        "password",
        "12345678",
        " " * 8,
        "Password1",
        "qwertyuiop",
        "iloveyou123",
        "aaaaaaaaaaaa",
        "probe-weak@example.test",
    ):
        answer = p.call(
            "POST",
            "/api/v1/auth/register",
            json={"email": "probe-weak@example.test", "password": password, "name": "Weak"},
        )
        p.problem("15", f"weak password {password!r} refused", answer, 422, "weak_password")
    answer = p.call(
        "POST",
        "/api/v1/auth/register",
        json={"email": "probe-long@example.test", "password": "x" * 257, "name": "Long"},
    )
    p.check(
        "15",
        "257 characters: the message names 256",
        answer.status_code == 422 and "256" in answer.text,
        answer.text[:200],
    )
    # The kind: the other places a password is set
    admin = p.admin()
    weak = p.call(
        "POST",
        "/api/v1/auth/password",
        headers=admin.headers,
        json={"current_password": PASSWORD, "new_password": "password1"},
    )
    p.problem("15+", "a weak new password refused", weak, 422, "weak_password")
    p.call("POST", "/api/v1/auth/password-reset", json={"email": admin.email})
    token = _reset_token(p, admin.email)
    if token:
        weak = p.call(
            "POST",
            "/api/v1/auth/password-reset/confirm",
            json={"token": token, "new_password": "12345678"},
        )
        p.problem("15+", "a weak password through a reset refused", weak, 422, "weak_password")
    code = p.invite(admin, "learner")
    weak = p.call(
        "POST",
        "/api/v1/auth/register",
        json={
            "email": "probe-inv@example.test",
            "password": "qwerty123",
            "name": "W",
            "invite_code": code,
        },
    )
    p.problem("15+", "a weak password through an invite refused", weak, 422, "weak_password")


# Row 16: NUL in a file name --------------------------------------------------------------


def row16_nul(p: Probe) -> None:
    admin = p.admin()
    answer = p.upload(admin, "a\x00b\x07c.wav", wav_of_seconds(1.0), "audio")
    p.check(
        "16",
        "a NUL in a file name is dropped",
        answer.status_code == 201 and answer.json()["filename"] == "abc.wav",
        (answer.status_code, answer.text[:200]),
    )
    if answer.status_code != 201:
        return
    job = p.call(
        "POST",
        "/api/v1/transcriptions",
        headers=admin.headers,
        json={"media_id": answer.json()["id"], "language": "en"},
    )
    if job.status_code >= 400:
        p.check("16", "transcription submitted", False, job.text[:200])
        return
    done = p.wait_job(admin, job.json()["id"])
    error = done.get("error") or {}
    p.check(
        "16",
        "transcription of it is not an internal retryable failure",
        done["status"] == "succeeded"
        or (error.get("code") != "internal_error" and not error.get("retryable")),
        (done["status"], error),
    )
    started = p.call(
        "POST",
        "/api/v1/media/uploads",
        headers=admin.headers,
        json={"filename": "x\u0000y\n\u202e.wav", "kind": "audio"},
    )
    p.check(
        "16+",
        "a presigned upload's name is cleaned too",
        started.status_code == 201 and "\x00" not in started.json()["media"]["filename"],
        started.text[:200],
    )


# Row 17: deactivated admin --------------------------------------------------------------


def row17_deactivation(p: Probe) -> None:
    first = p.admin()
    second = p.member(first, "admin")
    key = p.api_key(second, ["jobs:read"])
    code = p.invite(second, "admin")
    kept = p.api_key(first, ["jobs:read"])
    p.call("POST", f"/api/v1/organisation/members/{second.id}/deactivate", headers=first.headers)
    p.problem(
        "17",
        "the deactivated admin's API key is refused",
        p.call("GET", "/api/v1/jobs", headers={"X-API-Key": key}),
        401,
        "api_key_revoked",
    )
    registered = p.call(
        "POST",
        "/api/v1/auth/register",
        json={
            "email": f"late-{uuid.uuid4().hex[:6]}@example.test",
            "password": PASSWORD,
            "name": "Late",
            "invite_code": code,
        },
    )
    p.problem("17", "their invite makes no account", registered, 422, "invite_invalid")
    p.check(
        "17",
        "the other admin's key still works",
        p.call("GET", "/api/v1/jobs", headers={"X-API-Key": kept}).status_code == 200,
    )
    p.problem(
        "17+",
        "their access token is refused",
        p.call("GET", "/api/v1/jobs", headers=second.headers),
        401,
        None,
    )
    refresh = p.call("POST", "/api/v1/auth/refresh", json={"refresh_token": second.refresh_token})
    p.check(
        "17+",
        "their refresh token is refused",
        refresh.status_code in (401, 403),
        refresh.status_code,
    )
    login = p.call("POST", "/api/v1/auth/login", json={"email": second.email, "password": PASSWORD})
    p.check("17+", "they cannot sign in", login.status_code in (401, 403), login.status_code)
    p.call("POST", "/api/v1/auth/password-reset", json={"email": second.email})
    p.check(
        "17+",
        "no reset mail for the deactivated account",
        _reset_token(p, second.email) is None,
        "",
    )


# Row 18: misc --------------------------------------------------------------------------


def row18_misc(p: Probe) -> None:
    admin = p.admin()
    answers = {
        "login": p.call(
            "POST", "/api/v1/auth/login", json={"email": admin.email, "password": PASSWORD}
        ),
        "refresh": p.call(
            "POST", "/api/v1/auth/refresh", json={"refresh_token": admin.refresh_token}
        ),
        "api-key": p.call(
            "POST",
            "/api/v1/api-keys",
            headers=admin.headers,
            json={"name": "k", "scopes": ["jobs:read"]},
        ),
        "register": p.call(
            "POST",
            "/api/v1/auth/register",
            json={
                "email": f"ns-{uuid.uuid4().hex[:6]}@example.test",
                "password": PASSWORD,
                "name": "N",
            },
        ),
    }
    hook = p.call(
        "POST", "/api/v1/webhooks", headers=admin.headers, json={"url": "https://example.com/ns"}
    )
    answers["webhook (secret)"] = hook
    if hook.status_code == 201:
        answers["rotate-secret"] = p.call(
            "POST", f"/api/v1/webhooks/{hook.json()['id']}/rotate-secret", headers=admin.headers
        )
    answers["callback-secret"] = p.call("GET", "/api/v1/callback-secret", headers=admin.headers)
    answers["callback-secret/rotate"] = p.call(
        "POST", "/api/v1/callback-secret/rotate", headers=admin.headers
    )
    for name, answer in answers.items():
        p.check(
            "18" if name in ("login", "refresh", "api-key") else "18+",
            f"{name} answer is no-store ({answer.status_code})",
            answer.headers.get("Cache-Control") == "no-store",
            answer.headers.get("Cache-Control"),
        )
    metrics = p.call("GET", "/metrics")
    p.check(
        "18",
        "/metrics answers a loopback caller without METRICS_TOKEN (by design)",
        metrics.status_code == 200,
        metrics.status_code,
    )
    spoofed = p.call("GET", "/metrics", headers={"X-Forwarded-For": "203.0.113.7"})
    p.check(
        "18",
        "(X-Forwarded-For is not trusted without TRUSTED_PROXY_COUNT)",
        spoofed.status_code == 200,
        spoofed.status_code,
    )
    for name in ("platform.db", "platform.db-wal", "platform.db-shm", ".secret_key"):
        path = p.data_dir / name
        if path.exists():
            mode = stat.S_IMODE(path.stat().st_mode)
            p.check("18", f"{name} mode {oct(mode)} is owner-only", mode & 0o077 == 0, oct(mode))
    # The kind: learners' recordings and mail on disk
    loose = []
    # (media/meta holds each object's content type and ETag only)
    for folder in ("media/objects", "mail"):
        for path in (p.data_dir / folder).rglob("*"):
            if path.is_file() and stat.S_IMODE(path.stat().st_mode) & 0o007:
                loose.append(
                    f"{path.relative_to(p.data_dir)} {oct(stat.S_IMODE(path.stat().st_mode))}"
                )
    p.check("18+", "media objects and mails are not world-readable", not loose, loose[:3])
    for value in ("x", "short-secret", ""):
        env = {**os.environ, "APP_ENV": "production", "SECRET_KEY": value, "DATA_DIR": "/tmp"}
        run = subprocess.run(
            [sys.executable, "-c", "from core.settings import Settings; Settings.from_env()"],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        p.check(
            "18",
            f"APP_ENV=production refuses SECRET_KEY={value!r}",
            run.returncode != 0 and "SECRET_KEY" in run.stderr,
            run.stderr[-200:],
        )


ROWS: dict[str, Callable[[Probe], Any]] = {
    "1": lambda p: (row1_refresh(p), row1_kind_password_reset(p)),
    "2": row2_invites,
    "3": row3_long_polls,
    "4": row4_zip,
    "5": row5_surrogates,
    "9": row9_demotion,
    "11": row11_json,
    "12": row12_password_rate,
    "13": row13_callbacks,
    "14": row14_media_ids,
    "15": row15_passwords,
    "16": row16_nul,
    "17": row17_deactivation,
    "8": row8_keys,
    "18": row18_misc,
    "10": row10_retry_after,
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--base-url", default="http://127.0.0.1:8000")
    parser.add_argument("--data-dir", default="data", type=Path)
    parser.add_argument("--log-file", type=Path)
    parser.add_argument("--only", default="", help="rows to run, comma-separated (6 runs 6 and 7)")
    parser.add_argument(
        "--rotation",
        choices=["seed", "check"],
        help="row 8 across a restart with a rotated SECRET_KEY",
    )
    parser.add_argument("--rotation-state", type=Path, default=Path("/tmp/probe_rotation.json"))
    args = parser.parse_args(argv)
    probe = Probe(args.base_url.rstrip("/"), args.data_dir, args.log_file)
    if args.rotation == "seed":
        row8_rotation_seed(probe, args.rotation_state)
    elif args.rotation == "check":
        row8_rotation_check(probe, args.rotation_state)
    else:
        only = {r for r in args.only.split(",") if r}
        for row, run in ROWS.items():
            if only and row not in only:
                continue
            try:
                run(probe)
            except Exception as exc:  # a probe that broke is a failure, not a crash
                probe.check(row, "probe ran to the end", False, repr(exc))
        if not only or "6" in only:
            try:
                seen = row6_upload_tokens(probe)
                row7_logs(probe, seen["token_url"])
            except Exception as exc:
                probe.check("6", "probe ran to the end", False, repr(exc))
    failed = [r for r in probe.results if not r.ok]
    print(f"\n{len(probe.results) - len(failed)} passed, {len(failed)} failed")
    for result in failed:
        print(f"  FAIL row {result.row}: {result.check} -- {result.detail}")
    return min(len(failed), 100)


if __name__ == "__main__":
    sys.exit(main())
