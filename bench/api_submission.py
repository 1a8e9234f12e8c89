"""API submission: `wrk` (a separate process) posting authenticated `POST /api/v1/jobs/ping`
to the platform under gunicorn, against two baselines under the same gunicorn settings: the
same essential work written by hand (`same_work_app.py`: token, body, one INSERT and
commit, one LPUSH) and a bare Flask app with one JSON endpoint (`bare_app.py`)."""

from __future__ import annotations

import os
import re
import shutil
import statistics
import subprocess
import tempfile
from pathlib import Path
from typing import Any

import psycopg
import requests

from bench.services import DATABASE_URL, Server, platform_env, register_admin
from core.settings import Settings

GUNICORN = {"workers": 2, "threads": 4}
CONNECTIONS = 16
WRK_THREADS = 2
PATH = "/api/v1/jobs/ping"
BODY = '{"sleep_ms": 0}'
WARM_UP_SECONDS = 2

_UNITS_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}


def _lua(token: str | None) -> Path:
    script = Path(tempfile.mkstemp(prefix="bench-wrk-", suffix=".lua")[1])
    lines = [
        'wrk.method = "POST"',
        f"wrk.body = '{BODY}'",
        'wrk.headers["Content-Type"] = "application/json"',
    ]
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
    errors = re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output
    )
    result["socket_errors"] = sum(int(n) for n in errors.groups()) if errors else 0
    return result


def load(url: str, token: str | None, seconds: int) -> dict[str, Any]:
    script = _lua(token)
    try:
        argv = [
            "wrk",
            "-t",
            str(WRK_THREADS),
            "-c",
            str(CONNECTIONS),
            "-d",
            f"{seconds}s",
            "--latency",
            "-s",
            str(script),
            url + PATH,
        ]
        done = subprocess.run(argv, check=True, capture_output=True, text=True)
        return parse_wrk(done.stdout)
    finally:
        script.unlink(missing_ok=True)


def job_count(url: str, token: str) -> int:
    listing = requests.get(
        f"{url}/api/v1/jobs?per_page=1", timeout=30, headers={"Authorization": f"Bearer {token}"}
    ).json()
    return listing["pagination"]["total_items"]


def _cpu_seconds(pids: list[int]) -> float:
    """User + system CPU time of processes (gone ones count 0)."""
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime (clock ticks)
    return total / os.sysconf("SC_CLK_TCK")


def _database_pids(application_name: str) -> list[int]:
    with psycopg.connect(DATABASE_URL, autocommit=True) as connection:
        rows = connection.execute(
            "SELECT pid FROM pg_stat_activity WHERE application_name = %s", (application_name,)
        ).fetchall()
    return [row[0] for row in rows]


def _with_application_name(url: str, name: str) -> str:
    return f"{url}{'&' if '?' in url else '?'}application_name={name}"


def _measure(server: Server, application_name: str, token: str, seconds: int) -> dict[str, Any]:
    """One wrk run, with the CPU time the server's processes and its database sessions
    spent per answered request (what a loaded machine's wall clock cannot show)."""
    app_pids, db_pids = server.worker_pids(), _database_pids(application_name)
    app_before, db_before = _cpu_seconds(app_pids), _cpu_seconds(db_pids)
    result = load(server.url, token, seconds)
    answered = max(1, result["requests"])
    result["app_cpu_ms"] = round((_cpu_seconds(app_pids) - app_before) * 1000 / answered, 3)
    result["db_cpu_ms"] = round((_cpu_seconds(db_pids) - db_before) * 1000 / answered, 3)
    return result


def _median_of(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """The median of each measure over the rounds, with its spread (min, max)."""
    summary: dict[str, Any] = {}
    for key in ("rps", "p50_ms", "p99_ms", "app_cpu_ms", "db_cpu_ms"):
        values = [run[key] for run in runs]
        summary[key] = round(statistics.median(values), 3)
        summary[f"{key}_spread"] = [min(values), max(values)]
    for key in ("requests", "non_2xx", "socket_errors"):
        summary[key] = sum(run[key] for run in runs)
    return summary


def _ratios(mine: dict[str, Any], base: dict[str, Any]) -> dict[str, float]:
    return {
        "rps": round(mine["rps"] / base["rps"], 3),
        "p50": round(mine["p50_ms"] / base["p50_ms"], 2),
        "p99": round(mine["p99_ms"] / base["p99_ms"], 2),
        "cpu": round(
            (mine["app_cpu_ms"] + mine["db_cpu_ms"])
            / max(0.001, base["app_cpu_ms"] + base["db_cpu_ms"]),
            2,
        ),
    }


def run(redis_url: str, seconds: int = 12, rounds: int = 3) -> dict[str, Any]:
    """The platform, the same-work app and the bare app, loaded in turn for `rounds` rounds
    (interleaved, so a change in the machine's load hits all three alike); medians of the
    rounds, with their spread, and the ratios of the medians."""
    if shutil.which("wrk") is None:
        raise RuntimeError("wrk is not installed (apt-get install wrk)")
    env = platform_env(
        redis_url,
        Path(tempfile.mkdtemp(prefix="bench-api-")),
        DATABASE_URL=_with_application_name(DATABASE_URL, "bench-platform"),
    )
    signing_key = Settings.from_env(env).jwt_signing_key
    same_env = {
        **env,
        "BENCH_JWT_KEY": signing_key,
        "BENCH_REDIS_URL": redis_url,
        "BENCH_DATABASE_URL": _with_application_name(DATABASE_URL, "bench-same-work"),
        "BENCH_QUEUE_KEY": "bench:same-work",
    }
    servers: dict[str, Server] = {}
    try:
        servers["platform"] = Server("wsgi:app", env, **GUNICORN)
        servers["same_work"] = Server("bench.same_work_app:app", same_env, **GUNICORN)
        servers["bare"] = Server("bench.bare_app:app", env, **GUNICORN)
        token = register_admin(servers["platform"].url)
        names = {"platform": "bench-platform", "same_work": "bench-same-work", "bare": "-"}
        for server in servers.values():  # pools, lazy imports, first-call paths
            load(server.url, token, WARM_UP_SECONDS)
        runs: dict[str, list[dict[str, Any]]] = {name: [] for name in servers}
        created = 0
        for _ in range(rounds):
            for name, server in servers.items():
                # Every 202 is a job row: the organisation's job count says none was dropped
                # (counted around the platform's runs: the same-work app adds rows too).
                before = job_count(server.url, token) if name == "platform" else 0
                runs[name].append(_measure(server, names[name], token, seconds))
                if name == "platform":
                    created += job_count(server.url, token) - before
    finally:
        for server in servers.values():
            server.stop()
    platform, same_work, bare = (_median_of(runs[name]) for name in servers)
    platform["jobs_created"] = created
    return {
        "title": "API submission (POST /api/v1/jobs/ping)",
        "settings": {
            "gunicorn": f"{GUNICORN['workers']} workers, gthread, {GUNICORN['threads']} threads",
            "load": f"wrk {WRK_THREADS} threads, {CONNECTIONS} connections, "
            f"{rounds} rounds of {seconds} s per server, interleaved, "
            f"after a {WARM_UP_SECONDS} s warm-up",
        },
        "platform": platform,
        "baselines": {"same_work": same_work, "bare": bare},
        "ratio": {"same_work": _ratios(platform, same_work), "bare": _ratios(platform, bare)},
        "rounds": runs,
    }
