"""Every state-changing endpoint refuses a POST without a valid CSRF token and changes nothing."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from admin_app.data.models import Client, Mission, MissionEvent, Role, User
from admin_app.extensions import db
from tests.conftest import log_in

CLIENT = {
    "first_name": "Alicia",
    "last_name": "Test",
    "email": "alicia@example.com",
    "phone": "+33612345678",
}


def endpoints(world) -> list[tuple[str, dict]]:
    return [
        ("/admin/clients/new/", CLIENT),
        (f"/admin/clients/edit/?id={world.a_client}", CLIENT),
        ("/admin/clients/delete/", {"id": world.a_client}),
        ("/admin/clients/action/", {"action": "delete", "rowid": world.a_client}),
        ("/admin/clients/erase/", {"id": world.a_client}),
        ("/admin/missions/note/", {"id": world.a_mission, "text": "x"}),
        ("/admin/missions/cancel/", {"id": world.a_mission, "reason": "no_show"}),
        ("/admin/missions/transition/", {"id": world.a_mission, "action": "start"}),
        ("/admin/missions/action/", {"action": "cancel", "rowid": world.a_mission}),
        (
            "/admin/accounts/new/",
            {
                "email": "n@walkin.example.com",
                "password": "a-long-Passphrase-77",
                "roles": ["admin"],
            },
        ),
        (f"/admin/accounts/edit/?id={world.partner_a.id}", {"roles": ["admin"], "active": "y"}),
        (
            "/change",
            {
                "password": "x",
                "new_password": "a-long-Passphrase-77",
                "new_password_confirm": "a-long-Passphrase-77",
            },
        ),
        ("/logout", {}),
        ("/language", {"language": "fr"}),
    ]


def snapshot():
    tables = (
        Client.__table__,
        Mission.__table__,
        MissionEvent.__table__,
        User.__table__,
        Role.__table__,
    )
    return [sorted(map(tuple, db.session.execute(select(table))), key=repr) for table in tables]


@pytest.mark.parametrize("token", [None, "forged-token", ""])
def test_no_state_change_without_a_valid_csrf_token(app, client, world, token):
    log_in(client, world.admin)
    with app.app_context():
        before = snapshot()

    for url, data in endpoints(world):
        payload = dict(data) if token is None else {**data, "csrf_token": token}
        response = client.post(url, data=payload)
        assert response.status_code == 400, url
        assert "nothing was changed" in response.get_data(as_text=True), url

    with app.app_context():
        assert snapshot() == before
    assert client.get("/admin/").status_code == 200  # still logged in: logout was refused too
