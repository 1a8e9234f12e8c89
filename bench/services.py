"""What every benchmark stands on: a private Redis, the bench database, the platform's
environment, gunicorn processes, and small measuring helpers."""

from __future__ import annotations

import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg
import redis
import requests

from tests.loopback import free_port, wait_until

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = Path(sys.executable).parent
SECRET_KEY = "bench-secret-key-that-is-long-enough-for-hs256"
DATABASE_URL = os.environ.get(
    "BENCH_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/bench_platform"
)


def percentile(values: list[float], q: int) -> float:
    """The q-th percentile (1-99), interpolated between closest ranks."""
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1]


@contextmanager
def private_redis() -> Iterator[str]:
    """A throw-away redis-server on a free loopback port: its URL."""
    if shutil.which("redis-server") is None:
        raise RuntimeError("redis-server is not installed (apt-get install redis-server)")
    port = free_port()
    process = subprocess.Popen(
        [
            "redis-server",
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    client = redis.Redis(port=port, socket_connect_timeout=0.5)

    def up() -> bool:
        try:
            return bool(client.ping())
        except redis.ConnectionError:
            return False

    try:
        wait_until(up, 20, "redis-server")
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        process.terminate()
        process.wait(timeout=10)


def prepare_database(redis_url: str, url: str = DATABASE_URL) -> str:
    """Create the bench database when missing and migrate it to the current schema."""
    name = url.rsplit("/", 1)[1].split("?")[0]
    admin_url = url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin_url, autocommit=True, connect_timeout=5) as connection:
        if not connection.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", (name,)
        ).fetchone():
            connection.execute(f'CREATE DATABASE "{name}"')
    env = platform_env(redis_url, Path(tempfile.mkdtemp(prefix="bench-")))
    subprocess.run(
        [str(VENV_BIN / "flask"), "--app", "api:create_app(start_services=False)", "db", "upgrade"],
        cwd=ROOT,
        env=env,
        check=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    return url


def platform_env(redis_url: str, data_dir: Path, **overrides: str) -> dict[str, str]:
    """The environment of an API, worker or scheduler process of the benchmarks."""
    env = dict(os.environ)
    env.update(
        PYTHONPATH=str(ROOT),
        APP_ENV="production",
        SECRET_KEY=SECRET_KEY,
        DATABASE_URL=DATABASE_URL,
        REDIS_URL=redis_url,
        DATA_DIR=str(data_dir),
        STORAGE_BACKEND="local",
        MEDIA_DIR=str(data_dir / "media"),
        EMBEDDED_SERVICES="false",
        LOG_LEVEL="INFO",
        LOG_JSON="true",
        # The limits stay on (their Redis round trip is part of the cost) but out of reach.
        RATE_LIMITS="submit=1000000000/minute,register=1000000/minute,login=1000000/minute",
    )
    env.update(overrides)
    return env


class Server:
    """A gunicorn process serving `app_spec` on a free loopback port."""

    def __init__(
        self, app_spec: str, env: dict[str, str], *, workers: int = 2, threads: int = 4
    ) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process = subprocess.Popen(
            [
                str(VENV_BIN / "gunicorn"),
                "--workers",
                str(workers),
                "--worker-class",
                "gthread",
                "--threads",
                str(threads),
                "--bind",
                f"127.0.0.1:{self.port}",
                "--timeout",
                "600",
                app_spec,
            ],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        wait_until(self._up, 90, f"gunicorn {app_spec}", interval=0.2)

    def _up(self) -> bool:
        if self.process.poll() is not None:
            raise RuntimeError(f"gunicorn exited with {self.process.returncode}")
        try:
            requests.get(self.url + "/", timeout=2)
            return True
        except requests.RequestException:  # bound, but its workers are still booting
            return False

    def worker_pids(self) -> list[int]:
        children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        return [int(pid) for pid in children.read_text().split()]

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()


def memory_kib(pid: int) -> dict[str, int]:
    """VmRSS and VmHWM (peak resident memory) of a process, in KiB."""
    values = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, rest = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            values[key] = int(rest.split()[0])
    return values


def register_admin(base_url: str) -> str:
    """A new organisation and its admin through the API: the admin's bearer token."""
    tag = f"{time.time_ns()}"
    answer = requests.post(
        f"{base_url}/api/v1/auth/register",
        timeout=30,
        json={
            "email": f"bench-{tag}@example.test",
            "password": "bench password 123",
            "name": "Bench",
            "organisation_name": f"Bench {tag}",
            "timezone": "UTC",
        },
    )
    answer.raise_for_status()
    return answer.json()["access_token"]


class Worker:
    """`dramatiq <module>` in a session of its own, stopped at the end."""

    def __init__(
        self, module: str, env: dict[str, str], *, threads: int = 4, queues: tuple[str, ...] = ()
    ) -> None:
        self.log = Path(tempfile.mkstemp(prefix="bench-worker-", suffix=".log")[1])
        argv = [
            sys.executable,
            "-m",
            "dramatiq",
            module,
            "--processes",
            "1",
            "--threads",
            str(threads),
        ]
        if queues:
            argv += ["--queues", *queues]
        with open(self.log, "ab") as log:
            self.process = subprocess.Popen(
                argv,
                cwd=ROOT,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        wait_until(self._ready, 120, f"dramatiq {module}", interval=0.2)

    def _ready(self) -> bool:
        if self.process.poll() is not None:
            raise RuntimeError(f"worker exited:\n{self.log.read_text()[-3000:]}")
        return "ready for action" in self.log.read_text(errors="replace")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        self.log.unlink(missing_ok=True)
