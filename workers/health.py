"""Health check of the processes that have no HTTP port: the workers and the scheduler.

    python -m workers.health worker       # Dramatiq's parent and a worker process, Redis, DB
    python -m workers.health scheduler    # the scheduler process, Redis, DB
    python -m workers.health worker --process-only   # the processes alone (liveness)

It exits 0 when healthy and 1 with one line per problem otherwise. compose's `healthcheck:`
and Kubernetes' exec probes run it inside the process's container, so it looks for the process
in that container's /proc. It reads the same settings as the process it checks.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from core.envparse import ConfigError
from core.settings import Settings

# What a process of each role has in its command line, and how many of them must run:
# Dramatiq's parent forks its worker processes (same command line) and exits when one dies.
ROLES: dict[str, tuple[tuple[str, ...], int]] = {
    "worker": (("dramatiq", "workers.main"), 2),
    "scheduler": (("workers.scheduler",), 1),
}


def _command_lines(proc: Path) -> list[list[str]]:
    lines = []
    for entry in proc.iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            raw = (entry / "cmdline").read_bytes()
        except OSError:  # the process ended while we looked
            continue
        if raw:
            lines.append([part.decode(errors="replace") for part in raw.split(b"\0") if part])
    return lines


def count_processes(role: str, proc: Path = Path("/proc")) -> int:
    markers, _ = ROLES[role]
    found = 0
    for argv in _command_lines(proc):
        words = {os.path.basename(word) for word in argv}
        if all(marker in words for marker in markers):
            found += 1
    return found


def check_process(role: str, proc: Path = Path("/proc")) -> list[str]:
    _, needed = ROLES[role]
    running = count_processes(role, proc)
    if running < needed:
        return [f"{role}: {running} process(es) running, {needed} needed"]
    return []


def check_dependencies(settings: Settings) -> list[str]:
    """Redis and the database answer, as the process needs them."""
    import redis
    from sqlalchemy import create_engine, text

    problems = []
    if not settings.redis_url:
        problems.append("redis: REDIS_URL is not set (workers and the scheduler need Redis)")
    else:
        try:
            redis.Redis.from_url(
                settings.redis_url, socket_connect_timeout=3, socket_timeout=3
            ).ping()
        except redis.RedisError as exc:
            problems.append(f"redis: {type(exc).__name__}: {exc}")
    engine = create_engine(
        settings.database_url,
        pool_pre_ping=False,
        connect_args=_connect_timeout(settings.database_url),
    )
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except Exception as exc:  # any driver error means the database does not answer
        problems.append(f"database: {type(exc).__name__}")
    finally:
        engine.dispose()
    return problems


def _connect_timeout(url: str) -> dict[str, int]:
    return {"connect_timeout": 3} if url.startswith("postgresql") else {}


def main(argv: Sequence[str] | None = None, proc: Path = Path("/proc")) -> int:
    parser = argparse.ArgumentParser(prog="python -m workers.health", description=__doc__)
    parser.add_argument("role", choices=sorted(ROLES))
    parser.add_argument(
        "--process-only",
        action="store_true",
        help="check the processes only, not Redis and the database",
    )
    args = parser.parse_args(argv)
    problems = check_process(args.role, proc)
    if not args.process_only:
        try:
            problems += check_dependencies(Settings.from_env())
        except ConfigError as exc:
            problems.append(f"settings: {exc}")
    for problem in problems:
        print(problem, file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
