"""Flask-Security's pages (login, two-factor, recovery codes, password) in the panel's layout and
words, in English and French; every panel page names its language."""

from __future__ import annotations

import re

import pytest
from flask.testing import FlaskClient

from admin_app.data.models import RoleName
from tests.conftest import csrf_token, log_in, post_with_csrf


def password_step(client: FlaskClient, account) -> str:
    step = post_with_csrf(client, "/login", {"email": account.email, "password": account.password})
    return step.headers["Location"]


def pages_of_a_partner(client, make_account) -> dict[str, str]:
    log_in(client, make_account(RoleName.PARTNER))
    return {url: url for url in ("/change", "/verify", "/tf-setup", "/mf-recovery-codes")}


def pages_on_the_way_in(client, make_account) -> dict[str, str]:
    """The login page, and the pages between the password and the second factor."""
    admin = make_account(RoleName.ADMIN)
    pages = {"/tf-validate": password_step(client, admin), "/mf-recovery": "/mf-recovery"}
    pages["/tf-rescue"] = "/tf-rescue"
    pages["/login"] = "/login"  # last: showing the login form starts over
    return pages


@pytest.mark.parametrize("language", ["en", "fr"])
@pytest.mark.parametrize("who", ["partner", "on the way in"])
def test_account_pages_have_the_panel_layout(client, make_account, language, who):
    build = pages_of_a_partner if who == "partner" else pages_on_the_way_in
    client.set_cookie("tz", "UTC")
    for name, url in build(client, make_account).items():
        response = client.get(url, headers={"Accept-Language": language})
        page = response.get_data(as_text=True)

        assert response.status_code == 200, name
        assert f'<html lang="{language}">' in page, name
        assert 'class="navbar-brand"' in page and "panel.css" in page, name
        assert len(re.findall(r"<h1[ >]", page)) == 1 and "<h3" not in page, name
        assert "Sign Out" not in page and "<menu>" not in page, name
        assert 'id="language-switch"' in page, name
        if who == "partner":
            assert 'data-testid="back-to-panel"' in page and 'data-testid="log-out"' in page
        elif name != "/login":
            assert 'data-testid="back-to-login"' in page, name


def test_account_pages_speak_french(client, make_account):
    log_in(client, make_account(RoleName.PARTNER))
    french = {"Accept-Language": "fr"}

    change = client.get("/change", headers=french).get_data(as_text=True)
    setup = client.get("/tf-setup", headers=french).get_data(as_text=True)

    assert "Changer votre mot de passe" in change and "Mot de passe actuel" in change
    assert "Mettre en place l'authentification à deux facteurs" in setup
    for page in (change, setup):
        assert "Se déconnecter" in page and "Retour au panneau" in page
        assert "Log out" not in page and "Back to the panel" not in page


def test_login_page_is_the_panels(client):
    english = client.get("/login").get_data(as_text=True)
    french = client.get("/login", headers={"Accept-Language": "fr"}).get_data(as_text=True)

    assert "<h1>Log in</h1>" in english and "Email Address" in english
    assert "<h1>Se connecter</h1>" in french and "Adresse e-mail" in french
    assert "remember" not in english.lower()


def test_panel_pages_name_their_language(client, world):
    log_in(client, world.partner_a)

    for language in ("en", "fr"):
        for url in ("/admin/", "/admin/clients/", f"/admin/missions/details/?id={world.a_mission}"):
            page = client.get(url, headers={"Accept-Language": language}).get_data(as_text=True)
            assert f'<html lang="{language}">' in page, (language, url)
    french = client.get("/admin/", headers={"Accept-Language": "fr"}).get_data(as_text=True)
    assert 'aria-label="Afficher ou masquer le menu"' in french
    assert "Toggle navigation" not in french


def test_new_client_modal_close_button_speaks_french(client, world):
    log_in(client, world.partner_a)

    modal = client.get(
        "/admin/clients/new/?modal=True", headers={"Accept-Language": "fr"}
    ).get_data(as_text=True)

    assert 'aria-label="Fermer"' in modal and 'aria-label="Close"' not in modal


def test_change_password_answers_in_green(client, make_account):
    account = make_account(RoleName.PARTNER)
    log_in(client, account)
    new = "a brand new passphrase for walk-in"

    done = client.post(
        "/change",
        data={
            "password": account.password,
            "new_password": new,
            "new_password_confirm": new,
            "csrf_token": csrf_token(client, "/change"),
        },
    )
    page = client.get(done.headers["Location"]).get_data(as_text=True)

    assert re.search(
        r"alert-success[^>]*>\s*<button[^>]*>.*?</button>\s*You successfully", page, re.S
    )


def test_confirming_the_password_answers_in_green_in_the_users_language(client, make_account):
    account = make_account(RoleName.PARTNER)
    log_in(client, account)
    french = {"Accept-Language": "fr"}

    done = client.post(
        "/verify?next=/change",
        data={"password": account.password, "csrf_token": csrf_token(client, "/verify")},
        headers=french,
    )
    page = client.get(done.headers["Location"], headers=french).get_data(as_text=True)

    assert done.headers["Location"] == "/change"
    assert re.search(
        r"alert-success[^>]*>\s*<button[^>]*>.*?</button>\s*Mot de passe confirmé", page, re.S
    )
