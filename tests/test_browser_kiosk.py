"""In a real browser: the shop's tablet takes its check-in key once, registers a visitor through
the API and says so, shows a refused field at the field, asks again for a key that stopped
working, forgets its key on a staff member's word, and never gets a cookie."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from admin_app.data.api_keys import ApiKey, IdempotentRequest
from admin_app.data.models import Client, Mission, MissionStatus, User
from admin_app.domain.api_keys import revoke_api_key
from admin_app.extensions import db
from tests.browser_support import new_context, playwright_api

VISITOR = {"first_name": "Zoé", "last_name": "Martin", "email": "zoe@example.com",
           "phone": "+33 6 12 34 56 78"}  # fmt: skip


@pytest.fixture
def expect():
    return playwright_api().expect


@pytest.fixture(autouse=True)
def quick_reset(app, monkeypatch):
    """The confirmation stays one second instead of several."""
    monkeypatch.setitem(app.config, "KIOSK_RESET_SECONDS", 1)


def assert_only_refusals(watch) -> None:
    """Nothing went wrong in the page but the API's refusals it was shown (the browser logs
    each 4xx answer to a request as a console error)."""
    refusal = "Failed to load resource: the server responded with a status of 4"
    assert [problem for problem in watch.problems if refusal not in problem] == []


def enter_key(page, token: str) -> None:
    page.fill("#key", token)
    page.click("#key-form [type=submit]")


def fill_visitor(page, **fields: str) -> None:
    for name, value in {**VISITOR, **fields}.items():
        page.fill(f"#{name}", value)


def clients_named(app, email: str) -> list[tuple[Client, Mission]]:
    with app.app_context():
        rows = db.session.execute(
            select(Client, Mission).join(Mission).where(Client.email == email)
        ).all()
        db.session.expunge_all()
        return [tuple(row) for row in rows]


def test_tablet_takes_its_key_once_then_checks_a_visitor_in(
    app, live_server, browser, world, api_token, expect
):
    token = api_token(world.partner_a, "checkin")
    context, watch = new_context(browser, "en")
    page = context.new_page()
    page.goto(f"{live_server}/kiosk/")
    expect(page.get_by_test_id("kiosk-key")).to_be_visible()
    expect(page.get_by_test_id("kiosk-visit")).to_be_hidden()

    enter_key(page, token)
    expect(page.get_by_test_id("kiosk-visit")).to_be_visible()
    assert clients_named(app, VISITOR["email"]) == []  # checking the key saved nobody
    fill_visitor(page)
    page.check("#email_consent")
    page.click("#visit-form [type=submit]")

    expect(page.get_by_test_id("kiosk-done")).to_be_visible()
    expect(page.get_by_test_id("kiosk-done")).to_have_text("You're checked in, please take a seat.")
    expect(page.get_by_test_id("kiosk-visit")).to_be_hidden()
    [(client, mission)] = clients_named(app, VISITOR["email"])
    assert (client.first_name, client.last_name, client.phone) == ("Zoé", "Martin", "+33612345678")
    assert client.partner_id == world.partner_a.id and client.language == "en"
    assert mission.status is MissionStatus.PENDING
    with app.app_context():  # sent with an Idempotency-Key: a retry would be applied once
        kept = db.session.scalars(select(IdempotentRequest.status)).all()
    assert kept == [201]

    expect(page.get_by_test_id("kiosk-visit")).to_be_visible()  # ready for the next visitor
    expect(page.locator("#first_name")).to_have_value("")
    expect(page.locator("#email_consent")).not_to_be_checked()
    page.reload()
    expect(page.get_by_test_id("kiosk-visit")).to_be_visible()  # the key was kept
    assert context.cookies() == []
    context.close()
    assert_only_refusals(watch)


def test_refused_field_is_shown_at_the_field_in_the_page_language(
    app, live_server, browser, world, api_token, expect
):
    token = api_token(world.partner_a, "checkin")
    context, watch = new_context(browser, "en")
    page = context.new_page()
    page.goto(f"{live_server}/kiosk/?lang=fr")
    enter_key(page, token)

    fill_visitor(page, phone="pas un numéro", email="zoe@")
    page.click("#visit-form [type=submit]")

    expect(page.locator("#phone")).to_have_attribute("aria-invalid", "true")
    expect(page.get_by_test_id("phone-error")).to_have_text(
        "Ce numéro de téléphone n'est pas valide."
    )
    expect(page.get_by_test_id("email-error")).to_have_text(
        "Cette adresse e-mail n'est pas valide."
    )
    expect(page.locator("#phone")).to_have_class("form-control form-control-lg is-invalid")
    expect(page.get_by_test_id("first_name-error")).to_have_text("")
    expect(page.locator("#first_name")).to_have_value("Zoé")  # the rest is kept
    assert clients_named(app, "zoe@") == []

    page.fill("#phone", VISITOR["phone"])
    expect(page.get_by_test_id("phone-error")).to_have_text("")  # gone once changed
    page.fill("#email", "zoe.fr@example.com")
    page.click("#visit-form [type=submit]")
    expect(page.get_by_test_id("kiosk-done")).to_be_visible()
    expect(page.get_by_test_id("kiosk-done")).to_have_text(
        "Votre arrivée est enregistrée, veuillez vous installer."
    )
    [(client, _)] = clients_named(app, "zoe.fr@example.com")
    assert client.language == "fr"
    context.close()
    assert_only_refusals(watch)


def test_a_bad_key_is_refused_at_the_key_field(live_server, browser, world, api_token, expect):
    read_only = api_token(world.partner_a, "read")
    admins = api_token(world.admin, "checkin")
    context, watch = new_context(browser, "en")
    page = context.new_page()
    page.goto(f"{live_server}/kiosk/")

    page.click("#key-form [type=submit]")
    expect(page.get_by_test_id("key-error")).to_have_text("Enter the check-in key.")
    enter_key(page, "wk_nothing_here")
    expect(page.get_by_test_id("key-error")).to_have_text(
        "This key is not valid, or it was revoked."
    )
    enter_key(page, read_only)
    expect(page.get_by_test_id("key-error")).to_have_text(
        "This key may not register visitors: use a check-in key."
    )
    enter_key(page, admins)
    expect(page.get_by_test_id("key-error")).to_have_text(
        "This is an admin's key: use the check-in key of the shop."
    )
    expect(page.get_by_test_id("kiosk-visit")).to_be_hidden()
    assert page.evaluate("localStorage.getItem('walkin.kiosk.key')") is None
    context.close()
    assert_only_refusals(watch)


def test_a_key_revoked_since_is_asked_for_again_and_the_visitor_kept(
    app, live_server, browser, world, api_token, expect
):
    token = api_token(world.partner_a, "checkin")
    context, watch = new_context(browser, "en")
    page = context.new_page()
    page.goto(f"{live_server}/kiosk/")
    enter_key(page, token)
    expect(page.get_by_test_id("kiosk-visit")).to_be_visible()
    with app.app_context():
        key = db.session.scalar(select(ApiKey))
        revoke_api_key(key.id, db.session.get_one(User, world.partner_a.id))

    fill_visitor(page)
    page.click("#visit-form [type=submit]")

    expect(page.get_by_test_id("key-lost")).to_be_visible()
    expect(page.get_by_test_id("kiosk-visit")).to_be_hidden()
    assert page.evaluate("localStorage.getItem('walkin.kiosk.key')") is None
    new_token = api_token(world.partner_a, "checkin")
    enter_key(page, new_token)
    expect(page.locator("#last_name")).to_have_value("Martin")
    page.click("#visit-form [type=submit]")
    expect(page.get_by_test_id("kiosk-done")).to_be_visible()
    assert len(clients_named(app, VISITOR["email"])) == 1
    context.close()
    assert_only_refusals(watch)


def test_staff_can_make_the_tablet_forget_its_key(live_server, browser, world, api_token, expect):
    token = api_token(world.partner_a, "checkin")
    context, watch = new_context(browser, "en")
    page = context.new_page()
    page.goto(f"{live_server}/kiosk/")
    enter_key(page, token)

    page.click("#forget-key")
    page.click("#forget-no")
    expect(page.get_by_test_id("kiosk-visit")).to_be_visible()
    page.click("#forget-key")
    page.click("#forget-yes")

    expect(page.get_by_test_id("kiosk-key")).to_be_visible()
    expect(page.get_by_test_id("key-lost")).to_be_hidden()
    assert page.evaluate("localStorage.getItem('walkin.kiosk.key')") is None
    page.reload()
    expect(page.get_by_test_id("kiosk-key")).to_be_visible()
    context.close()
    assert_only_refusals(watch)
