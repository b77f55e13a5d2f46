"""Fixtures of the message tests: a real SMTP server for the module, an app that sends to it,
and a shop whose clients consent (or not)."""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import pytest
from flask import Flask
from sqlalchemy import select

from admin_app.data.messaging import OutboxMessage
from admin_app.data.models import RoleName, User
from admin_app.domain.missions import register_walk_in_client
from admin_app.extensions import db
from tests.smtp_server import Inbox, smtp_server

PUBLIC_URL = "https://panel.example.com"


def mail_settings(port: int, **overrides: object) -> dict[str, object]:
    """An app sending to the test server at ``port``, retrying fast, with a queue of its own."""
    return {
        "MAIL_BACKEND": "smtp",
        "MAIL_SERVER": "127.0.0.1",
        "MAIL_PORT": port,
        "MAIL_TIMEOUT": 5.0,
        "MAIL_DEFAULT_SENDER": "Walk-in <messages@walkin.example.com>",
        "MESSAGE_RETRY_SECONDS": 0.1,
        "MESSAGE_MAX_ATTEMPTS": 3,
        "MESSAGE_LEASE_SECONDS": 30.0,
        "PUBLIC_URL": PUBLIC_URL,
        "HUEY_STORAGE": "memory",
        "HUEY_NAME": f"walkin-test-{secrets.token_hex(4)}",
        **overrides,
    }


@pytest.fixture(scope="module")
def smtp() -> Iterator[tuple[Inbox, int]]:
    with smtp_server() as server:
        yield server


@pytest.fixture(scope="module")
def mail_app_built(sibling_app: Callable[..., Flask], smtp: tuple[Inbox, int]) -> Flask:
    return sibling_app(**mail_settings(smtp[1]))


@pytest.fixture
def inbox(smtp: tuple[Inbox, int]) -> Inbox:
    smtp[0].reset()
    return smtp[0]


@pytest.fixture
def mail_app(app: Flask, mail_app_built: Flask, inbox: Inbox) -> Iterator[Flask]:
    """The sending app, in an app context, over empty tables (``app`` empties them)."""
    with mail_app_built.app_context():
        yield mail_app_built
        db.session.remove()


@dataclass(frozen=True)
class Shop:
    partner_id: int

    @property
    def partner(self) -> User:
        return db.session.get_one(User, self.partner_id)

    def register(
        self, first_name: str = "Inès", *, consent: bool = True, language: str = "fr", **extra
    ) -> tuple[str, str, str]:
        """Register a client (with email consent unless told); returns the client's id, its
        mission's id and its address."""
        email = f"client.{secrets.token_hex(4)}@example.com"
        client, mission = register_walk_in_client(
            self.partner,
            email_consent=consent,
            language=language,
            first_name=first_name,
            last_name="Roy",
            email=email,
            phone="+33612345678",
            **extra,
        )
        return client.id, mission.id, email


@pytest.fixture
def shop(mail_app: Flask, make_account) -> Shop:
    """A partner named "Atelier Lumière"."""
    account = make_account(RoleName.PARTNER)
    partner = db.session.get_one(User, account.id)
    partner.shop_name = "Atelier Lumière"
    db.session.commit()
    return Shop(account.id)


def message_of(mission_id: str, event: str) -> OutboxMessage:
    db.session.expire_all()
    return db.session.scalars(
        select(OutboxMessage).where(
            OutboxMessage.mission_id == mission_id, OutboxMessage.event == event
        )
    ).one()
