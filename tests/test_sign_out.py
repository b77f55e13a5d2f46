"""Every "Log out" button on every page logs out: each log-out form a page shows is posted as a
browser would post it (its own fields, nothing added), and the session must be over."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from html.parser import HTMLParser

import pytest
from flask.testing import FlaskClient

from admin_app.data.models import RoleName
from tests.conftest import csrf_token, log_in


@dataclass
class Form:
    action: str
    method: str
    fields: dict[str, str] = field(default_factory=dict)


class FormParser(HTMLParser):
    """The forms of a page with their hidden inputs and the value of their submit button."""

    def __init__(self) -> None:
        super().__init__()
        self.forms: list[Form] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: value or "" for name, value in attrs}
        if tag == "form":
            self.forms.append(Form(values.get("action", ""), values.get("method", "get").lower()))
        elif tag in ("input", "button") and self.forms and values.get("name"):
            if values.get("type", "submit" if tag == "button" else "text") in ("hidden", "submit"):
                self.forms[-1].fields[values["name"]] = values.get("value", "")


def log_out_forms(page: str) -> list[Form]:
    parser = FormParser()
    parser.feed(page)
    return [form for form in parser.forms if form.action.split("?")[0] == "/logout"]


def admin_keeping_codes(client: FlaskClient) -> None:
    """New recovery codes on screen, waiting to be kept."""
    token = csrf_token(client, "/mf-recovery-codes")
    client.post("/mf-recovery-codes", data={"csrf_token": token})


@dataclass(frozen=True)
class Situation:
    role: RoleName
    pages: tuple[str, ...]
    prepare: Callable[[FlaskClient], None] | None = None
    in_set_up: bool = False


SITUATIONS = {
    "partner": Situation(
        RoleName.PARTNER,
        ("/admin/", "/admin/clients/", "/change", "/verify", "/tf-setup", "/mf-recovery-codes"),
    ),
    "support": Situation(RoleName.SUPPORT, ("/admin/missions/", "/change", "/mf-recovery-codes")),
    "admin": Situation(
        RoleName.ADMIN,
        ("/admin/accounts/", "/change", "/verify", "/tf-setup", "/mf-recovery-codes"),
    ),
    "admin setting up two-factor": Situation(
        RoleName.ADMIN, ("/tf-setup", "/change", "/mf-recovery-codes", "/verify"), in_set_up=True
    ),
    "admin keeping new recovery codes": Situation(
        RoleName.ADMIN, ("/mf-recovery-codes", "/change"), prepare=admin_keeping_codes
    ),
}


@pytest.mark.parametrize("situation", SITUATIONS, ids=list(SITUATIONS))
def test_every_log_out_button_on_every_page_logs_out(app, make_account, situation):
    plan = SITUATIONS[situation]

    for page_url in plan.pages:
        # An account per page: an admin's password step counts against the failed-login limit.
        account = make_account(plan.role, two_factor=not plan.in_set_up)
        landing = "/tf-setup" if plan.in_set_up else "/admin/"
        client = app.test_client()
        log_in(client, account, landing=landing)
        if plan.prepare:
            plan.prepare(client)
        page = client.get(page_url)
        assert page.status_code == 200, page_url
        forms = log_out_forms(page.get_data(as_text=True))
        assert forms, f"no log-out button on {page_url}"

        for form in forms:
            assert form.method == "post" and form.fields.get("csrf_token"), page_url
            answer = client.post(form.action, data=form.fields)
            assert (answer.status_code, answer.headers.get("Location")) == (302, "/login"), page_url
            assert client.get("/admin/").headers["Location"].startswith("/login"), page_url
            log_in(client, account, landing=landing)


def test_flask_securitys_own_menu_is_gone(app, client, make_account):
    """Its "Sign Out" posted without a CSRF token: 400, and the user stayed logged in."""
    log_in(client, make_account(RoleName.PARTNER))

    for url in ("/change", "/tf-setup", "/mf-recovery-codes", "/verify"):
        page = client.get(url).get_data(as_text=True)
        assert "Sign Out" not in page and "<menu>" not in page and "<h3" not in page, url
