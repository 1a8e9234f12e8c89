"""Real processes for the resilience tests: a private Redis, Dramatiq workers and the
scheduler, each a subprocess that can be killed like a crashed machine."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import redis

from tests.loopback import free_port, wait_until

ROOT = Path(__file__).resolve().parents[2]
SECRET_KEY = "test-secret-key-that-is-long-enough-for-hs256"


class RedisServer:
    """A throw-away `redis-server` without persistence on a loopback port; stopping and
    starting it again keeps the port, as a restarted Redis would."""

    def __init__(self, log_dir: Path) -> None:
        self.port = free_port()
        self.log_dir = log_dir
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> RedisServer:
        log = open(self.log_dir / f"redis-{self.port}.log", "ab")  # noqa: SIM115
        self.process = subprocess.Popen(
            [
                "redis-server",
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--daemonize",
                "no",
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        client = redis.Redis(port=self.port, socket_connect_timeout=0.5)
        wait_until(lambda: self._pings(client), 20, "the private Redis to answer")
        return self

    def _pings(self, client: redis.Redis) -> bool:
        if self.process is not None and self.process.poll() is not None:
            raise AssertionError(f"redis-server exited with {self.process.returncode}")
        try:
            return bool(client.ping())
        except redis.ConnectionError:
            return False

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None


def platform_env(
    database_url: str, redis_url: str, data_dir: Path, **overrides: str
) -> dict[str, str]:
    """The environment of a worker or scheduler process pointed at the test services:
    short leases, fast sweeps, and prompt recovery of a dead worker's messages."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DRAMATIQ_", "dramatiq_"))
    }
    env.update(
        PYTHONPATH=str(ROOT),
        APP_ENV="test",
        SECRET_KEY=SECRET_KEY,
        DATABASE_URL=database_url,
        REDIS_URL=redis_url,
        DATA_DIR=str(data_dir),
        STORAGE_BACKEND="local",
        MEDIA_DIR=str(data_dir / "media"),
        EMBEDDED_SERVICES="false",
        JOB_LEASE_SECONDS="5",
        JOB_RETRY_MIN_BACKOFF_MS="50",
        JOB_RETRY_MAX_BACKOFF_MS="400",
        SWEEP_INTERVAL_SECONDS="1",
        BROKER_HEARTBEAT_TIMEOUT_MS="3000",
        BROKER_MAINTENANCE_CHANCE="100000",
        LOG_JSON="false",
        LOG_LEVEL="INFO",
        WEBHOOK_ALLOW_PRIVATE_NETWORKS="true",
    )
    env.update(overrides)
    return env


class Process:
    """A child in a session of its own, so a kill takes its whole process group (the
    Dramatiq master and its worker process) down at once, as a crash would."""

    def __init__(self, name: str, argv: list[str], env: dict[str, str], log_dir: Path) -> None:
        self.name = name
        self.log_path = log_dir / f"{name}.log"
        with open(self.log_path, "ab") as log:
            self.popen = subprocess.Popen(
                argv,
                cwd=ROOT,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def alive(self) -> bool:
        return self.popen.poll() is None

    def kill(self) -> None:
        """SIGKILL, no shutdown: fetched messages and running jobs are left behind."""
        if self.alive():
            try:
                os.killpg(self.popen.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        self.popen.wait()

    def stop(self, timeout: float = 15) -> None:
        if self.alive():
            # The Dramatiq master passes the signal on to its worker process.
            self.popen.terminate()
            try:
                self.popen.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.kill()
        self.popen.wait()


class Fleet:
    """The worker and scheduler processes of one test, all stopped at the end."""

    def __init__(self, env: dict[str, str], log_dir: Path) -> None:
        self.env, self.log_dir = env, log_dir
        self.processes: list[Process] = []
        self._count = 0

    def worker(self, queues: tuple[str, ...] = ("scoring",), threads: int = 4) -> Process:
        self._count += 1
        process = Process(
            f"worker-{self._count}",
            [
                sys.executable,
                "-m",
                "dramatiq",
                "workers.main",
                "--processes",
                "1",
                "--threads",
                str(threads),
                "--queues",
                *queues,
                "--worker-shutdown-timeout",
                "2000",
            ],
            self.env,
            self.log_dir,
        )
        self.processes.append(process)
        return process

    def scheduler(self) -> Process:
        process = Process(
            "scheduler", [sys.executable, "-m", "workers.scheduler"], self.env, self.log_dir
        )
        self.processes.append(process)
        return process

    def wait_ready(self, worker: Process, seconds: float = 90) -> None:
        """Until the worker process reports it consumes its queues."""

        def ready() -> bool:
            if not worker.alive():
                raise AssertionError(f"{worker.name} exited:\n{worker.log()[-3000:]}")
            return "ready for action" in worker.log()

        wait_until(ready, seconds, f"{worker.name} to boot", interval=0.2)

    def stop(self) -> None:
        for process in self.processes:
            process.stop()

    def logs(self) -> str:
        return "\n".join(f"--- {p.name}\n{p.log()[-4000:]}" for p in self.processes)


class Receiver:
    """A webhook receiver on a chosen loopback port that records every POST and answers 200.
    Until it is started, connections to its port are refused."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.requests: list[tuple[dict[str, str], bytes]] = []
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None

    def url(self, path: str = "/hook") -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def start(self) -> None:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:  # noqa: N802
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                with receiver._lock:
                    receiver.requests.append((dict(self.headers.items()), body))
                self.send_response(200)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, format: str, *args: object) -> None:  # noqa: A002
                return

        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self._server.daemon_threads = True
        threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        ).start()

    def received(self) -> list[tuple[dict[str, str], bytes]]:
        with self._lock:
            return list(self.requests)

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
