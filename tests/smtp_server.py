"""A real SMTP server for the message tests (aiosmtpd, on a free local port), whose handler
keeps what it received and can be told to refuse or to hold a message until released."""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage

from aiosmtpd.controller import Controller


@dataclass
class Received:
    recipients: list[str]
    message: EmailMessage

    @property
    def text(self) -> str:
        return self.message.get_body(("plain",)).get_content()

    @property
    def html(self) -> str:
        return self.message.get_body(("html",)).get_content()


@dataclass
class Inbox:
    """The handler. ``refusal`` (``"451 ..."`` or ``"550 ..."``) refuses every recipient;
    ``hold`` makes the next message's DATA wait until ``release`` is set (the message held is
    then dropped, as if the connection had been cut)."""

    received: list[Received] = field(default_factory=list)
    refusal: str | None = None
    hold: bool = False
    holding: threading.Event = field(default_factory=threading.Event)
    release: threading.Event = field(default_factory=threading.Event)
    #: When each RCPT arrived (monotonic seconds), refused or not: one per try.
    tries: list[float] = field(default_factory=list)

    def reset(self) -> None:
        self.received.clear()
        self.tries.clear()
        self.refusal, self.hold = None, False
        self.holding.clear()
        self.release.clear()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # noqa: ANN001, ANN201
        self.tries.append(time.monotonic())
        if self.refusal:
            return self.refusal
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # noqa: ANN001, ANN201
        if self.hold:
            self.hold = False
            self.holding.set()
            while not self.release.is_set():
                await asyncio.sleep(0.02)
            return "451 4.3.0 Held and dropped"
        message = message_from_bytes(envelope.content, policy=policy.default)
        self.received.append(Received(list(envelope.rcpt_tos), message))
        return "250 Message accepted for delivery"

    def to(self, address: str) -> list[Received]:
        return [item for item in self.received if address in item.recipients]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def smtp_server() -> Iterator[tuple[Inbox, int]]:
    """Start the server; yields its handler and port."""
    inbox = Inbox()
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield inbox, port
    finally:
        inbox.release.set()
        controller.stop()


def wait_for(condition: Callable[[], object], timeout: float = 15.0, step: float = 0.05) -> object:
    """Poll ``condition`` until it returns something true; fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"still not true after {timeout} s: {condition.__doc__ or ''}")
        time.sleep(step)
