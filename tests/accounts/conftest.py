"""Fixtures of the account tests: a real SMTP server (aiosmtpd) on loopback, and an app that
sends its mail there, with a real Dramatiq worker."""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage

import pytest
from aiosmtpd.controller import Controller

from tests.conftest import IsolatedClient
from tests.loopback import free_port


class Mailbox:
    """What the SMTP server received; `refuse` answers the next DATA commands with a code."""

    def __init__(self) -> None:
        self.messages: list[tuple[list[str], EmailMessage]] = []
        self.refuse: list[str] = []
        self._lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope) -> str:  # noqa: N802 (aiosmtpd's name)
        with self._lock:
            if self.refuse:
                return self.refuse.pop(0)
            message = message_from_bytes(
                envelope.original_content or envelope.content, policy=policy.default
            )
            self.messages.append((list(envelope.rcpt_tos), message))
        return "250 Message accepted for delivery"

    def wait_for(self, count: int, timeout: float = 15.0) -> list[tuple[list[str], EmailMessage]]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self._lock:
                if len(self.messages) >= count:
                    return list(self.messages)
            time.sleep(0.05)
        raise AssertionError(f"{len(self.messages)} messages arrived, {count} expected")


@pytest.fixture
def mailbox() -> Iterator[Mailbox]:
    box = Mailbox()
    controller = Controller(box, hostname="127.0.0.1", port=free_port())
    controller.start()
    box.port = controller.port  # type: ignore[attr-defined]
    try:
        yield box
    finally:
        controller.stop()


@dataclass
class MailApp:
    app: object
    client: IsolatedClient
    extra: dict = field(default_factory=dict)


@pytest.fixture
def mail_app(app_with, start_worker, mailbox) -> Iterator[MailApp]:
    """An app whose mail goes to `mailbox` over plain SMTP, and a worker for it."""
    other = app_with(
        smtp_host="127.0.0.1",
        smtp_port=mailbox.port,
        smtp_tls="none",
        mail_from="Platform <no-reply@platform.test>",
        public_base_url="https://learn.example.test",
    )
    start_worker(other)
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="request") as executor:
        client = IsolatedClient(other, other.response_class, use_cookies=False)
        client.executor = executor
        yield MailApp(other, client)


def text_part(message: EmailMessage) -> str:
    return message.get_body(preferencelist=("plain",)).get_content()


def html_part(message: EmailMessage) -> str:
    return message.get_body(preferencelist=("html",)).get_content()


def reset_token(message: EmailMessage) -> str:
    found = re.search(r"/reset-password#token=([A-Za-z0-9_\-]+)", text_part(message))
    assert found, text_part(message)
    return found.group(1)
