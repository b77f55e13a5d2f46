"""The link in every message withdraws the client's email consent without logging in: asked
on a page in the client's language, done by its button (a POST with CSRF), recorded in the
client's consent history and the audit log; a forged link withdraws nothing."""

from __future__ import annotations

import re

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from admin_app.data.messaging import ClientConsent
from admin_app.data.models import AuditEvent, RoleName, User
from admin_app.domain.consent import consent_in_force, withdrawal_token
from admin_app.domain.missions import register_walk_in_client
from admin_app.extensions import db

FIELDS = {"first_name": "Inès", "last_name": "Roy", "email": "ines@example.com",
          "phone": "+33612345678"}  # fmt: skip


@pytest.fixture
def consenting_client(make_user) -> tuple[str, str]:
    """A French-speaking client with email consent, of the shop "Atelier Lumière"."""
    partner: User = make_user(RoleName.PARTNER)
    partner.shop_name = "Atelier Lumière"
    db.session.commit()
    client, _ = register_walk_in_client(partner, email_consent=True, language="fr", **FIELDS)
    return client.id, withdrawal_token(client.id)


def _form_token(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, "the page has no form"
    return match.group(1)


def test_link_asks_in_the_clients_language_then_withdraws(
    client: FlaskClient, consenting_client: tuple[str, str]
) -> None:
    client_id, token = consenting_client
    page = client.get(f"/stop-emails/{token}", headers={"Accept-Language": "en"})
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and 'lang="fr"' in html
    assert "Voulez-vous ne plus recevoir" in html
    assert "Atelier Lumière" in html and "Inès" not in html and "ines@" not in html
    assert consent_in_force(client_id) is not None, "opening the link withdraws nothing"
    done = client.post(f"/stop-emails/{token}", data={"csrf_token": _form_token(html)})
    assert done.status_code == 200
    assert 'data-testid="withdrawal-done"' in done.get_data(as_text=True)
    db.session.expire_all()
    assert consent_in_force(client_id) is None
    period = db.session.scalars(select(ClientConsent)).one()
    assert period.withdrawn_via == "link"
    audit = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action.like("client.consent%")).order_by(AuditEvent.id)
    )
    assert [(line.action, line.target) for line in audit] == [
        ("client.consent_given", f"walk_in_client:{client_id}"),
        ("client.consent_withdrawn", f"walk_in_client:{client_id}"),
    ]


def test_link_opened_again_says_it_is_done(
    client: FlaskClient, consenting_client: tuple[str, str]
) -> None:
    _, token = consenting_client
    first = client.get(f"/stop-emails/{token}").get_data(as_text=True)
    client.post(f"/stop-emails/{token}", data={"csrf_token": _form_token(first)})
    again = client.get(f"/stop-emails/{token}")
    assert again.status_code == 200
    assert 'data-testid="withdrawal-done"' in again.get_data(as_text=True)


def test_withdrawal_without_csrf_token_is_refused(
    client: FlaskClient, consenting_client: tuple[str, str]
) -> None:
    client_id, token = consenting_client
    assert client.post(f"/stop-emails/{token}").status_code == 400
    assert consent_in_force(client_id) is not None


def test_forged_link_withdraws_nothing(
    client: FlaskClient, consenting_client: tuple[str, str]
) -> None:
    client_id, token = consenting_client
    forged = withdrawal_token(client_id)[:-4] + "abcd"
    page = client.get(f"/stop-emails/{forged}")
    assert page.status_code == 404
    assert 'data-testid="withdrawal-invalid"' in page.get_data(as_text=True)
    html = client.get(f"/stop-emails/{token}").get_data(as_text=True)
    assert (
        client.post(f"/stop-emails/{forged}", data={"csrf_token": _form_token(html)}).status_code
        == 404
    )
    assert consent_in_force(client_id) is not None


def test_expired_link_says_so_in_the_clients_language(
    app, client: FlaskClient, consenting_client: tuple[str, str]
) -> None:
    client_id, token = consenting_client
    app.config["UNSUBSCRIBE_LINK_MAX_AGE"] = -1
    try:
        page = client.get(f"/stop-emails/{token}")
    finally:
        app.config["UNSUBSCRIBE_LINK_MAX_AGE"] = 180 * 24 * 3600
    html = page.get_data(as_text=True)
    assert page.status_code == 410 and 'lang="fr"' in html
    assert 'data-testid="withdrawal-expired"' in html
    assert consent_in_force(client_id) is not None


def test_page_sends_no_referrer_and_is_not_indexed(
    client: FlaskClient, consenting_client: tuple[str, str]
) -> None:
    _, token = consenting_client
    page = client.get(f"/stop-emails/{token}")
    assert page.headers["Referrer-Policy"] == "no-referrer"
    assert page.headers["X-Robots-Tag"] == "noindex"
    assert page.headers["Cache-Control"] == "no-store"
