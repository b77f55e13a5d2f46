"""Consent and language captured at the counter, through the panel's real forms (CSRF included):
the registration form, the client's page and its edit form, the partner's language, the shop
name an admin sets, and the demo data."""

from __future__ import annotations

import json
import re

import pytest
from sqlalchemy import select, update

from admin_app.data.messaging import ClientConsent, OutboxMessage
from admin_app.data.models import AuditEvent, Client, RoleName, User
from admin_app.domain.consent import add_consent, withdraw_by_link, withdrawal_token
from admin_app.extensions import db
from tests.conftest import log_in, post_with_csrf, register_client

NEW_CLIENT = {
    "first_name": "Zoé",
    "last_name": "Martin",
    "email": "zoe.martin@example.com",
    "phone": "06 11 22 33 44",
    "city": "Nantes",
}
EDIT_FIELDS = {
    "first_name": "Alice",
    "last_name": "Test",
    "email": "alice@example.com",
    "phone": "+33612345678",
    "city": "Paris",
}


def the_client(app) -> Client:
    with app.app_context():
        row = db.session.scalars(select(Client)).one()
        db.session.expunge(row)
        return row


def periods(app, client_id: str) -> list[tuple]:
    """The client's consent periods, oldest first: (given by, withdrawn?, via, withdrawn by)."""
    with app.app_context():
        rows = db.session.scalars(
            select(ClientConsent)
            .where(ClientConsent.client_id == client_id)
            .order_by(ClientConsent.given_at, ClientConsent.id)
        )
        return [
            (r.given_by_email, r.withdrawn_at is not None, r.withdrawn_via, r.withdrawn_by_email)
            for r in rows
        ]


def audit_lines(app, action: str) -> list[AuditEvent]:
    with app.app_context():
        rows = list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == action)))
        for row in rows:
            db.session.expunge(row)
        return rows


def selected_language(page: str) -> str | None:
    """The option chosen in the form's "Language of messages" select."""
    select_tag = re.search(r'<select[^>]*name="language".*?</select>', page, re.S)
    assert select_tag, "no language select on the page"
    chosen = re.search(r'<option selected value="([^"]*)"', select_tag.group(0))
    return chosen.group(1) if chosen else None


def consent_box(page: str) -> str:
    box = re.search(r'<input[^>]*name="email_consent"[^>]*>', page)
    assert box, "no consent box on the page"
    return box.group(0)


def field_group(page: str, name: str) -> str:
    """The form's markup from the field ``name`` to the next field: its errors are there."""
    start = re.search(rf'<(select|input)[^>]*name="{name}"', page)
    assert start, f"no field {name}"
    rest = page[start.start() :]
    following = re.search(r'<div class="form-group', rest)
    return rest[: following.start()] if following else rest


def set_language(app, account_id: int, language: str | None) -> None:
    with app.app_context():
        db.session.execute(update(User).where(User.id == account_id).values(language=language))
        db.session.commit()


# Registration


@pytest.mark.parametrize("language", ["en", "fr"])
def test_partner_registers_a_client_with_consent_in_the_chosen_language(
    app, client, login_as, language
):
    partner = login_as(RoleName.PARTNER)

    response = post_with_csrf(
        client,
        "/admin/clients/new/",
        {**NEW_CLIENT, "language": language, "email_consent": "y"},
    )

    assert response.status_code == 302
    saved = the_client(app)
    assert saved.language == language
    assert periods(app, saved.id) == [(partner.email, False, None, None)]
    with app.app_context():
        (message,) = db.session.scalars(select(OutboxMessage))
        assert (message.client_id, message.event) == (saved.id, "opened")
    (line,) = audit_lines(app, "client.consent_given")
    assert line.actor_email == partner.email and line.target == f"walk_in_client:{saved.id}"


def test_registration_without_the_box_ticked_records_no_consent_and_queues_nothing(
    app, client, login_as
):
    login_as(RoleName.PARTNER)

    response = post_with_csrf(client, "/admin/clients/new/", {**NEW_CLIENT, "language": "fr"})

    assert response.status_code == 302
    saved = the_client(app)
    assert saved.language == "fr" and periods(app, saved.id) == []
    assert audit_lines(app, "client.consent_given") == []
    with app.app_context():
        assert db.session.scalars(select(OutboxMessage)).all() == []


def test_the_consent_box_is_unticked_and_the_language_is_the_panels_by_default(client, login_as):
    login_as(RoleName.PARTNER)
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "fr"

    page = client.get("/admin/clients/new/").get_data(as_text=True)

    assert "checked" not in consent_box(page)
    assert selected_language(page) == "fr"
    assert "Accepte de recevoir des e-mails sur ses visites" in page


def test_the_language_defaults_to_the_partners_own(app, client, login_as, make_account):
    partner = make_account(RoleName.PARTNER)
    set_language(app, partner.id, "fr")
    staff = make_account(RoleName.STAFF, shop=partner)
    log_in(client, staff)
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"

    page = client.get("/admin/clients/new/?modal=True").get_data(as_text=True)
    registered = post_with_csrf(client, "/admin/clients/new/", NEW_CLIENT)

    assert selected_language(page) == "fr"
    assert registered.status_code == 302 and the_client(app).language == "fr"


def test_an_admin_registers_in_the_chosen_partners_language_unless_told_otherwise(
    app, client, login_as, make_account
):
    french_shop = make_account(RoleName.PARTNER)
    set_language(app, french_shop.id, "fr")
    admin = login_as(RoleName.ADMIN)
    page = client.get("/admin/clients/new/").get_data(as_text=True)

    by_default = post_with_csrf(
        client,
        "/admin/clients/new/",
        {**NEW_CLIENT, "partner": french_shop.id, "language": "", "email_consent": "y"},
    )
    chosen = post_with_csrf(
        client,
        "/admin/clients/new/",
        {**NEW_CLIENT, "email": "z2@example.com", "partner": french_shop.id, "language": "en"},
    )

    assert selected_language(page) is None and "The partner&#39;s language" in page
    assert by_default.status_code == 302 and chosen.status_code == 302
    with app.app_context():
        rows = db.session.execute(select(Client.email, Client.language, Client.id)).all()
        languages = {email: language for email, language, _ in rows}
        consenting = next(id_ for email, _, id_ in rows if email == NEW_CLIENT["email"])
    assert languages == {NEW_CLIENT["email"]: "fr", "z2@example.com": "en"}
    assert periods(app, consenting) == [(admin.email, False, None, None)]


def test_an_unknown_language_is_refused_at_its_field_and_the_input_is_kept(app, client, login_as):
    login_as(RoleName.PARTNER)

    response = post_with_csrf(
        client,
        "/admin/clients/new/",
        {**NEW_CLIENT, "email": "zoe@", "language": "de", "email_consent": "y"},
    )

    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Choose one of the listed values." in field_group(page, "language")
    assert "This is not a valid email address." in page
    assert 'value="Zoé"' in page and 'value="zoe@"' in page and 'value="Nantes"' in page
    assert "checked" in consent_box(page)
    with app.app_context():
        assert db.session.scalars(select(Client)).all() == []


def test_the_duplicate_check_and_a_returning_clients_new_mission_still_work(app, client, login_as):
    partner = login_as(RoleName.PARTNER)
    with app.app_context():
        client_id, _ = register_client(partner.id, "Zoé", last_name="Martin")
        add_consent(db.session.get_one(Client, client_id), db.session.get_one(User, partner.id))
        db.session.commit()

    found = client.get("/admin/clients/duplicates/", query_string={"phone": "0612345678"})
    new_mission = post_with_csrf(client, f"/admin/clients/new-mission/?id={client_id}")

    assert [c["id"] for c in found.get_json()["candidates"]] == [client_id]
    assert new_mission.status_code == 302
    with app.app_context():
        events = db.session.scalars(select(OutboxMessage.event)).all()
    assert events == ["opened"], "the returning client, who agreed, hears of the new mission"


# The client's page


def test_the_clients_page_shows_its_language_and_who_captured_its_consent(app, client, world):
    with app.app_context():
        db.session.execute(update(Client).where(Client.id == world.a_client).values(language="fr"))
        add_consent(
            db.session.get_one(Client, world.a_client),
            db.session.get_one(User, world.staff_a.id),
        )
        db.session.commit()
    log_in(client, world.partner_a)

    page = client.get(f"/admin/clients/details/?id={world.a_client}").get_data(as_text=True)

    assert "Language of messages" in page and "Français" in page
    state = re.search(r'data-testid="consent-state">(.*?)</p>', page, re.S).group(1)
    assert "Agreed" in state and f"captured by {world.staff_a.email}" in state
    assert "consent-history" in page


def test_the_clients_page_shows_every_period_newest_first_and_a_link_withdrawal(app, client, world):
    with app.app_context():
        for actor in (world.partner_a, world.staff_a):
            add_consent(
                db.session.get_one(Client, world.a_client), db.session.get_one(User, actor.id)
            )
            db.session.commit()
            withdraw_by_link(withdrawal_token(world.a_client))
    log_in(client, world.partner_a)

    page = client.get(f"/admin/clients/details/?id={world.a_client}").get_data(as_text=True)

    state = re.search(r'data-testid="consent-state">(.*?)</p>', page, re.S).group(1)
    assert "Withdrawn" in state and "by the link in a message" in state
    history = re.search(r'data-testid="consent-history">.*?</table>', page, re.S).group(0)
    rows = re.findall(r"<tr>.*?</tr>", history.split("<tbody>")[1], re.S)
    assert len(rows) == 2
    assert world.staff_a.email in rows[0] and world.partner_a.email in rows[1]


def test_a_client_without_consent_is_said_to_receive_no_email(client, world):
    log_in(client, world.partner_a)

    page = client.get(f"/admin/clients/details/?id={world.a_client}").get_data(as_text=True)

    assert "This client has not agreed to receive emails: none is sent." in page
    assert "consent-history" not in page


# The edit form


def edit(client, client_id: str, **changes: str):
    return post_with_csrf(
        client, f"/admin/clients/edit/?id={client_id}", {**EDIT_FIELDS, **changes}
    )


def test_editing_gives_consent_captured_by_the_staff_member_and_audits_it(app, client, world):
    log_in(client, world.staff_a)
    page = client.get(f"/admin/clients/edit/?id={world.a_client}").get_data(as_text=True)
    assert "checked" not in consent_box(page)

    response = edit(client, world.a_client, email_consent="y", consent_shown="")

    assert response.status_code == 302
    assert periods(app, world.a_client) == [(world.staff_a.email, False, None, None)]
    (line,) = audit_lines(app, "client.consent_given")
    assert line.actor_email == world.staff_a.email
    assert line.target == f"walk_in_client:{world.a_client}"
    assert json.loads(line.details) == {"channel": "email", "via": "panel"}


def test_editing_withdraws_consent_at_the_counter_and_giving_again_opens_a_new_period(
    app, client, world
):
    log_in(client, world.partner_a)
    edit(client, world.a_client, email_consent="y", consent_shown="")
    page = client.get(f"/admin/clients/edit/?id={world.a_client}").get_data(as_text=True)
    assert "checked" in consent_box(page) and 'name="consent_shown" type="hidden" value="1"' in page

    withdrawn = edit(client, world.a_client, consent_shown="1")
    given_again = edit(client, world.a_client, email_consent="y", consent_shown="")

    assert withdrawn.status_code == 302 and given_again.status_code == 302
    email = world.partner_a.email
    assert periods(app, world.a_client) == [
        (email, True, "panel", email),
        (email, False, None, None),
    ]
    assert len(audit_lines(app, "client.consent_given")) == 2
    (line,) = audit_lines(app, "client.consent_withdrawn")
    assert json.loads(line.details) == {"channel": "email", "via": "panel"}


def test_saving_a_form_opened_before_a_link_withdrawal_does_not_give_consent_back(
    app, client, world
):
    log_in(client, world.partner_a)
    edit(client, world.a_client, email_consent="y", consent_shown="")
    with app.app_context():
        version = db.session.get_one(Client, world.a_client).version
        withdraw_by_link(withdrawal_token(world.a_client))

    saved = edit(
        client, world.a_client, city="Lille", email_consent="y", consent_shown="1",
        version=str(version),
    )  # fmt: skip

    assert saved.status_code == 302 and the_client_city(app, world.a_client) == "Lille"
    assert [withdrawn for _, withdrawn, _, _ in periods(app, world.a_client)] == [True]


def the_client_city(app, client_id: str) -> str:
    with app.app_context():
        return db.session.get_one(Client, client_id).city


def test_editing_changes_the_language(app, client, world):
    log_in(client, world.partner_a)

    response = edit(client, world.a_client, language="fr")

    assert response.status_code == 302
    with app.app_context():
        assert db.session.get_one(Client, world.a_client).language == "fr"


def test_a_refused_edit_changes_neither_the_language_nor_the_consent(app, client, world):
    log_in(client, world.partner_a)

    response = edit(client, world.a_client, email="not-an-email", language="fr", email_consent="y")

    assert response.status_code == 200
    assert "This is not a valid email address." in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.get_one(Client, world.a_client).language == "en"
    assert periods(app, world.a_client) == []
    assert audit_lines(app, "client.consent_given") == []


def test_another_partner_cannot_see_or_change_a_clients_consent(app, client, world):
    log_in(client, world.partner_b)

    details = client.get(f"/admin/clients/details/?id={world.a_client}")
    form = client.get(f"/admin/clients/edit/?id={world.a_client}")
    posted = edit(client, world.a_client, email_consent="y", consent_shown="")

    assert (details.status_code, form.status_code, posted.status_code) == (404, 404, 404)
    assert periods(app, world.a_client) == []


def test_support_reads_the_consent_masked_but_cannot_change_it(app, client, world):
    with app.app_context():
        add_consent(
            db.session.get_one(Client, world.a_client),
            db.session.get_one(User, world.partner_a.id),
        )
        db.session.commit()
    log_in(client, world.support)

    page = client.get(f"/admin/clients/details/?id={world.a_client}").get_data(as_text=True)
    form = client.get(f"/admin/clients/edit/?id={world.a_client}")
    posted = edit(client, world.a_client, consent_shown="1")

    assert "consent-state" in page and world.partner_a.email in page
    assert "alice@example.com" not in page and "a•••@example.com" in page
    assert 'name="email_consent"' not in page and "on the Edit tab" not in page
    assert (form.status_code, posted.status_code) == (403, 403)
    assert periods(app, world.a_client) == [(world.partner_a.email, False, None, None)]


# The partner's language and the shop's name


def test_a_partners_panel_language_becomes_its_new_clients_default(app, world):
    for account in (world.partner_a, world.staff_b, world.admin, world.support):
        visitor = app.test_client()
        log_in(visitor, account)
        assert post_with_csrf(visitor, "/language", {"language": "fr"}).status_code == 302

    with app.app_context():
        languages = dict(db.session.execute(select(User.id, User.language)).all())
    assert languages[world.partner_a.id] == "fr"
    assert languages[world.partner_b.id] is None, "a staff member chooses for themselves"
    assert languages[world.admin.id] is None and languages[world.support.id] is None

    partner = app.test_client()
    log_in(partner, world.partner_a)
    partner.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    page = partner.get("/admin/clients/new/").get_data(as_text=True)
    assert selected_language(page) == "fr"


def test_an_admin_names_a_partners_shop_and_the_accounts_list_shows_it(
    app, client, login_as, make_account
):
    partner = make_account(RoleName.PARTNER)
    login_as(RoleName.ADMIN)
    url = f"/admin/accounts/edit/?id={partner.id}"

    saved = post_with_csrf(
        client, url, {"roles": ["partner"], "active": "y", "shop_name": "  Atelier <Lumière>  "}
    )

    assert saved.status_code == 302
    with app.app_context():
        assert db.session.get_one(User, partner.id).shop_name == "Atelier <Lumière>"
    listing = client.get("/admin/accounts/").get_data(as_text=True)
    assert "Shop name" in listing and "Atelier &lt;Lumière&gt;" in listing
    assert "Atelier <Lumière>" not in listing
    form = client.get(url).get_data(as_text=True)
    assert 'name="shop_name"' in form and "Atelier &lt;Lumière&gt;" in form


@pytest.mark.parametrize(
    ("roles", "shop_name", "message"),
    [
        (["partner"], "x" * 101, "At most 100 characters."),
        (["partner"], "Atelier\x07", "This must not contain control characters."),
        (["support"], "Atelier", "Only a partner account (a shop) has a shop name"),
    ],
)
def test_a_bad_shop_name_is_refused_at_its_field_and_kept(
    app, client, login_as, make_account, roles, shop_name, message
):
    partner = make_account(RoleName.PARTNER)
    login_as(RoleName.ADMIN)

    response = post_with_csrf(
        client,
        f"/admin/accounts/edit/?id={partner.id}",
        {"roles": roles, "active": "y", "shop_name": shop_name},
    )

    page = response.get_data(as_text=True)
    assert response.status_code == 200 and message in page
    with app.app_context():
        user = db.session.get_one(User, partner.id)
        assert user.shop_name is None and [role.name for role in user.roles] == ["partner"]


def test_an_admin_creates_a_partner_with_its_shop_name(app, client, login_as):
    login_as(RoleName.ADMIN)

    response = post_with_csrf(
        client,
        "/admin/accounts/new/",
        {
            "email": "shop@walkin.example.com",
            "password": "correct-horse-battery-staple-42",
            "roles": ["partner"],
            "active": "y",
            "shop_name": "Comptoir du Port",
        },
    )

    assert response.status_code == 302
    with app.app_context():
        user = db.session.scalars(select(User).where(User.email == "shop@walkin.example.com"))
        assert user.one().shop_name == "Comptoir du Port"


# The demo


def test_the_demo_has_french_clients_who_agreed_so_it_sends(app):
    result = app.test_cli_runner().invoke(args=["walkin", "demo"])
    assert result.exit_code == 0, result.output

    with app.app_context():
        consenting = db.session.execute(
            select(Client.language, User.shop_name)
            .join(ClientConsent, ClientConsent.client_id == Client.id)
            .join(User, User.id == Client.partner_id)
            .where(ClientConsent.withdrawn_at.is_(None))
        ).all()
        queued = db.session.scalars(select(OutboxMessage.event)).all()
    assert {language for language, _ in consenting} == {"fr", "en"}
    assert all(shop_name for _, shop_name in consenting)
    assert "opened" in queued and "started" in queued
