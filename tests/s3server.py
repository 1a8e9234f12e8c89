"""Pytest plugin: a real S3 endpoint (the moto server) on a free loopback port.

It runs in its own process rather than in a thread: moto keeps its state in module globals,
which an in-process `mock_aws` in another test would reset, and a separate process does not
compete with the tests for the GIL while streaming large uploads.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
import requests

from tests.loopback import free_port


@dataclass(frozen=True)
class S3Server:
    endpoint: str  # "127.0.0.1:<port>", as the minio client wants it
    url: str
    access_key: str
    secret_key: str
    region: str

    def new_bucket_name(self, prefix: str = "test") -> str:
        return f"{prefix}-{uuid.uuid4().hex[:20]}"


def _wait_until_up(process: subprocess.Popen, url: str, deadline: float) -> bool:
    while time.monotonic() < deadline:
        if process.poll() is not None:
            return False
        try:
            requests.get(f"{url}/moto-api/data.json", timeout=1)
            return True
        except requests.ConnectionError:
            time.sleep(0.1)
    return False


def start_moto_server() -> tuple[subprocess.Popen, S3Server]:
    env = {**os.environ, "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}
    # The port is free when chosen but could be taken before moto binds it: try a few.
    for _attempt in range(5):
        port = free_port()
        process = subprocess.Popen(
            [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            env=env,
        )
        url = f"http://127.0.0.1:{port}"
        if _wait_until_up(process, url, time.monotonic() + 30):
            server = S3Server(
                endpoint=f"127.0.0.1:{port}",
                url=url,
                access_key="testing",
                secret_key="testing",
                region="us-east-1",
            )
            return process, server
        process.kill()
        process.wait()
    raise RuntimeError("the moto S3 server did not start")


@pytest.fixture(scope="session")
def s3_server() -> Iterator[S3Server]:
    """A moto S3 server for the whole test session; each user makes its own bucket."""
    process, server = start_moto_server()
    try:
        yield server
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
