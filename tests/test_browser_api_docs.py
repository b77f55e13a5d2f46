"""In a real browser: ``/api/docs`` draws the API's operations from its OpenAPI document under
the panel's strict policy, without a CSP violation or a script error, and its "Try it out"
registers a client with the key given to "Authorize"."""

from __future__ import annotations

import json

from sqlalchemy import select

from admin_app.data.models import Client
from admin_app.extensions import db
from tests.browser_support import new_context, playwright_api

#: Swagger UI's id for the registration (tag, method and path: the spec names no operationId).
REGISTER = "#operations-api_v1-post_api_v1_clients"


def api_operations(app) -> int:
    """How many operations ``/api/v1/`` routes: the page shows one block each."""
    return sum(
        len(rule.methods - {"HEAD", "OPTIONS"})
        for rule in app.url_map.iter_rules()
        if rule.rule.startswith("/api/v1/")
    )


def test_docs_page_shows_the_operations_without_csp_violation(app, live_server, browser):
    expect = playwright_api().expect
    context, watch = new_context(browser, "en")
    page = context.new_page()

    page.goto(f"{live_server}/api/docs")

    register = page.locator(REGISTER)
    expect(register).to_contain_text("/api/v1/clients")
    expect(register).to_contain_text("Register a walk-in client and open its pending mission")
    expect(page.locator(".opblock")).to_have_count(api_operations(app))
    expect(page.locator(".info .title")).to_contain_text("Walk-in API")
    assert context.cookies() == []
    context.close()
    watch.assert_clean()


def test_try_it_out_registers_a_client_with_the_authorized_key(
    app, live_server, browser, world, api_token
):
    expect = playwright_api().expect
    token = api_token(world.partner_a, "checkin")
    visitor = {"first_name": "Noé", "last_name": "Petit", "email": "noe@example.com",
               "phone": "+33612345679"}  # fmt: skip
    context, watch = new_context(browser, "en")
    page = context.new_page()
    page.goto(f"{live_server}/api/docs")

    page.click("button.authorize")
    page.fill(".auth-container input", token)
    page.click(".auth-btn-wrapper button.authorize")
    page.click(".auth-btn-wrapper button.btn-done")
    register = page.locator(REGISTER)
    register.locator(".opblock-summary").click()
    register.locator(".try-out__btn").click()
    register.locator("textarea.body-param__text").fill(json.dumps(visitor))
    register.locator(".execute").click()

    status = register.locator(".live-responses-table tbody .response-col_status")
    expect(status).to_have_text("201")
    with app.app_context():
        client = db.session.scalar(select(Client).where(Client.email == "noe@example.com"))
        assert client is not None and client.partner_id == world.partner_a.id
    context.close()
    watch.assert_clean()
