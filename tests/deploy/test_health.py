"""`python -m workers.health`: the health check compose and Kubernetes run in worker and
scheduler containers.

A container has only its own processes in /proc; this machine has everyone's. So the process
checks run on a /proc-shaped folder holding the command lines of the processes a real
`dramatiq workers.main` started, read from the live /proc.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from core.settings import Settings
from tests.conftest import TEST_DATABASE_URL, TEST_REDIS_URL
from workers import health

ROOT = Path(__file__).resolve().parents[2]
SECRET = "health-check-test-secret-of-more-than-32-characters"


def fake_proc(tmp_path: Path, command_lines: dict[int, bytes]) -> Path:
    proc = tmp_path / "proc"
    for pid, cmdline in command_lines.items():
        (proc / str(pid)).mkdir(parents=True)
        (proc / str(pid) / "cmdline").write_bytes(cmdline)
    (proc / "self").mkdir(parents=True, exist_ok=True)  # not a pid: skipped
    return proc


def children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            # Field 4 (after the parenthesised command name) is the parent's pid.
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(entry.name))
    return found


@pytest.fixture
def worker_command_lines(tmp_path) -> dict[int, bytes]:
    """The command lines of a real Dramatiq worker: its parent and its worker process."""
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "APP_ENV": "test",
        "SECRET_KEY": SECRET,
        "DATABASE_URL": TEST_DATABASE_URL,
        "REDIS_URL": TEST_REDIS_URL,
        "DATA_DIR": str(tmp_path),
        "STORAGE_BACKEND": "local",
        "LOG_JSON": "false",
        "QUEUE_PREFIX": "health-test-",
    }
    dramatiq = Path(sys.executable).parent / "dramatiq"
    process = subprocess.Popen(
        [
            str(dramatiq),
            "workers.main",
            "--queues",
            "webhooks",
            "--processes",
            "1",
            "--threads",
            "1",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 60
        while not children(process.pid) and time.monotonic() < deadline:
            assert process.poll() is None, "the worker exited at start-up"
            time.sleep(0.2)
        pids = [process.pid, *children(process.pid)]
        assert len(pids) >= 2
        yield {pid: Path(f"/proc/{pid}/cmdline").read_bytes() for pid in pids}
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def test_a_worker_is_healthy_with_its_processes_and_not_without_them(
    tmp_path, worker_command_lines
):
    # Given the command lines of a running Dramatiq worker (parent and worker process)
    parent, *workers = worker_command_lines
    whole = fake_proc(tmp_path / "whole", worker_command_lines)
    # And the same container after the worker process died (the parent alone)
    orphan = fake_proc(tmp_path / "orphan", {parent: worker_command_lines[parent]})

    # When the process check runs, Then the whole worker passes and the parent alone fails
    assert health.main(["worker", "--process-only"], proc=whole) == 0
    assert health.main(["worker", "--process-only"], proc=orphan) == 1
    assert health.check_process("worker", orphan) == ["worker: 1 process(es) running, 2 needed"]
    # And a worker is not a scheduler
    assert health.main(["scheduler", "--process-only"], proc=whole) == 1


def test_a_scheduler_is_found_by_its_module(tmp_path):
    proc = fake_proc(
        tmp_path,
        {41: b"python\0-m\0workers.scheduler\0", 42: b"/usr/bin/python3\0-c\0print('workers')\0"},
    )
    assert health.count_processes("scheduler", proc) == 1
    assert health.main(["scheduler", "--process-only"], proc=proc) == 0


def test_dependencies_answer_on_the_test_services(tmp_path):
    # Given the test database and Redis
    settings = Settings(
        env="test",
        secret_key=SECRET,
        data_dir=tmp_path,
        database_url=TEST_DATABASE_URL,
        redis_url=TEST_REDIS_URL,
    ).finalised()
    # When the dependencies are checked, Then nothing is wrong
    assert health.check_dependencies(settings) == []


def test_unreachable_redis_and_database_are_reported(tmp_path):
    # Given a Redis and a PostgreSQL on a port where nothing listens
    settings = Settings(
        env="test",
        secret_key=SECRET,
        data_dir=tmp_path,
        database_url="postgresql://postgres@127.0.0.1:9/none",
        redis_url="redis://127.0.0.1:9/0",
    ).finalised()
    # When checked, Then both are named
    problems = health.check_dependencies(settings)
    assert [problem.split(":")[0] for problem in problems] == ["redis", "database"]


def test_the_command_exits_non_zero_and_says_why(tmp_path):
    # Given a scheduler container's environment without REDIS_URL and no scheduler running
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "DATA_DIR": str(tmp_path),
        "DATABASE_URL": TEST_DATABASE_URL,
        "SECRET_KEY": SECRET,
    }
    env.pop("REDIS_URL", None)
    # When the health check runs as compose runs it
    done = subprocess.run(
        [sys.executable, "-m", "workers.health", "scheduler"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    # Then it fails, naming what is wrong
    assert done.returncode == 1
    assert "REDIS_URL is not set" in done.stderr
