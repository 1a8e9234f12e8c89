"""API submission: `wrk` (a separate process) posting authenticated `POST /api/v1/jobs/ping`
to the platform under gunicorn, against a bare Flask app with one JSON endpoint under the
same gunicorn settings."""

from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Any

import requests

from bench.services import Server, platform_env, register_admin

GUNICORN = {"workers": 2, "threads": 4}
CONNECTIONS = 16
WRK_THREADS = 2
PATH = "/api/v1/jobs/ping"
BODY = '{"sleep_ms": 0}'
WARM_UP_SECONDS = 2

_UNITS_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}


def _lua(token: str | None) -> Path:
    script = Path(tempfile.mkstemp(prefix="bench-wrk-", suffix=".lua")[1])
    lines = ['wrk.method = "POST"', f"wrk.body = '{BODY}'",
             'wrk.headers["Content-Type"] = "application/json"']
    if token:
        lines.append(f'wrk.headers["Authorization"] = "Bearer {token}"')
    script.write_text("\n".join(lines) + "\n")
    return script


def _duration_ms(text: str) -> float:
    match = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text)
    if not match:
        raise ValueError(f"unexpected wrk duration {text!r}")
    return float(match.group(1)) * _UNITS_MS[match.group(2)]


def parse_wrk(output: str) -> dict[str, Any]:
    """Requests/s, latency percentiles and failures from `wrk --latency` output."""
    result: dict[str, Any] = {
        "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1)),
        "requests": int(re.search(r"(\d+) requests in", output).group(1)),
    }
    for pct in ("50", "75", "90", "99"):
        match = re.search(rf"^\s+{pct}%\s+(\S+)", output, re.MULTILINE)
        result[f"p{pct}_ms"] = round(_duration_ms(match.group(1)), 3)
    non_2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", output)
    result["non_2xx"] = int(non_2xx.group(1)) if non_2xx else 0
    errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)",
                       output)
    result["socket_errors"] = sum(int(n) for n in errors.groups()) if errors else 0
    return result


def load(url: str, token: str | None, seconds: int) -> dict[str, Any]:
    script = _lua(token)
    try:
        argv = ["wrk", "-t", str(WRK_THREADS), "-c", str(CONNECTIONS), "-d", f"{seconds}s",
                "--latency", "-s", str(script), url + PATH]
        done = subprocess.run(argv, check=True, capture_output=True, text=True)
        return parse_wrk(done.stdout)
    finally:
        script.unlink(missing_ok=True)


def job_count(url: str, token: str) -> int:
    listing = requests.get(f"{url}/api/v1/jobs?per_page=1", timeout=30,
                           headers={"Authorization": f"Bearer {token}"}).json()
    return listing["pagination"]["total_items"]


def run(redis_url: str, seconds: int = 12) -> dict[str, Any]:
    if shutil.which("wrk") is None:
        raise RuntimeError("wrk is not installed (apt-get install wrk)")
    env = platform_env(redis_url, Path(tempfile.mkdtemp(prefix="bench-api-")))
    server = Server("wsgi:app", env, **GUNICORN)
    try:
        token = register_admin(server.url)
        load(server.url, token, WARM_UP_SECONDS)  # pools, lazy imports, first-call paths
        before = job_count(server.url, token)
        platform = load(server.url, token, seconds)
        # Every 202 is a job row: the organisation's job count says none was dropped.
        platform["jobs_created"] = job_count(server.url, token) - before
    finally:
        server.stop()
    server = Server("bench.bare_app:app", env, **GUNICORN)
    try:
        load(server.url, None, WARM_UP_SECONDS)
        baseline = load(server.url, None, seconds)
    finally:
        server.stop()
    return {
        "title": "API submission (POST /api/v1/jobs/ping)",
        "settings": {"gunicorn": f"{GUNICORN['workers']} workers, gthread, "
                                 f"{GUNICORN['threads']} threads",
                     "load": f"wrk {WRK_THREADS} threads, {CONNECTIONS} connections, "
                             f"{seconds} s after a 2 s warm-up"},
        "platform": platform,
        "baseline": baseline,
        "ratio": {"rps": round(platform["rps"] / baseline["rps"], 3),
                  "p50": round(platform["p50_ms"] / baseline["p50_ms"], 2),
                  "p99": round(platform["p99_ms"] / baseline["p99_ms"], 2)},
    }
