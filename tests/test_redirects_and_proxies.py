"""Redirects stay on this site; forwarded headers are trusted only when configured."""

from __future__ import annotations

from urllib.parse import urljoin, urlsplit

import pytest

from admin_app import create_app
from admin_app.data.models import Client, Mission, MissionStatus
from admin_app.extensions import db
from tests.conftest import log_in, post_with_csrf, settings_for_tests

HOSTILE = [
    "//evil.example/",
    "https://evil.example/",
    "\\\\evil.example",
    "javascript:alert(1)",
    "/\\evil.example",
]


def stays_here(location: str) -> bool:
    landing = urlsplit(urljoin("http://localhost/admin/", location))
    return (landing.scheme, landing.netloc) == ("http", "localhost")


@pytest.mark.parametrize("target", HOSTILE)
def test_action_and_logout_redirects_stay_on_this_site(client, world, target):
    log_in(client, world.partner_a)

    transition = post_with_csrf(
        client,
        "/admin/missions/transition/",
        {"id": world.a_mission, "action": "start", "url": target},
    )
    batch = post_with_csrf(
        client,
        "/admin/missions/action/",
        {"action": "cancel", "rowid": world.a_mission, "url": target},
    )
    logout = post_with_csrf(client, f"/logout?next={target}")

    for response in (transition, batch, logout):
        assert response.status_code == 302 and stays_here(response.headers["Location"])


@pytest.mark.parametrize(("proxies", "hsts"), [(0, False), (1, True)])
def test_forwarded_https_is_trusted_only_behind_a_configured_proxy(database_url, proxies, hsts):
    app = create_app({**settings_for_tests(database_url), "TRUSTED_PROXY_COUNT": proxies})

    response = app.test_client().get(
        "/login", headers={"X-Forwarded-Proto": "https", "X-Forwarded-For": "203.0.113.9"}
    )

    assert ("Strict-Transport-Security" in response.headers) is hsts
    with app.app_context():
        db.engine.dispose()


@pytest.mark.parametrize("target", ["/admin/\r\n", "/admin/\nSet-Cookie: x=1", "/admin/\x00"])
def test_a_return_address_no_redirect_may_carry_is_refused_before_acting(
    app, client, world, target
):
    """Once the change was made, the redirect would fail and hide it: refused first."""
    log_in(client, world.partner_a)

    answers = [
        post_with_csrf(client, "/admin/missions/transition/",
                       {"id": world.a_mission, "action": "start", "url": target}),
        post_with_csrf(client, "/admin/missions/action/",
                       {"action": "cancel", "rowid": world.a_mission, "url": target}),
        post_with_csrf(client, "/admin/clients/delete/", {"id": world.a_client, "url": target}),
    ]  # fmt: skip

    assert [answer.status_code for answer in answers] == [400, 400, 400]
    with app.app_context():
        assert db.session.get_one(Mission, world.a_mission).status is MissionStatus.PENDING
        assert db.session.get(Client, world.a_client) is not None
