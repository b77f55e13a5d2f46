"""No lost update: an edit from a stale form is refused with a conflict, never overwriting."""

from __future__ import annotations

import re

import pytest

from admin_app.data.models import Client, User
from admin_app.domain.clients import update_client
from admin_app.domain.errors import EditConflict
from admin_app.extensions import db
from tests.conftest import log_in, post_with_csrf

CLIENT = {
    "first_name": "Alice",
    "last_name": "Test",
    "email": "alice@example.com",
    "phone": "+33612345678",
}


def form_version(page: str) -> str:
    return re.search(
        r'name="version"[^>]*value="(\d+)"|value="(\d+)"[^>]*name="version"', page
    ).group(1)


def test_stale_client_form_is_refused_and_keeps_the_other_save(app, client, world):
    log_in(client, world.partner_a)
    stale = form_version(
        client.get(f"/admin/clients/edit/?id={world.a_client}").get_data(as_text=True)
    )
    other = app.test_client()
    log_in(other, world.admin)
    saved = post_with_csrf(
        other,
        f"/admin/clients/edit/?id={world.a_client}",
        {**CLIENT, "city": "Lyon", "version": stale},
    )

    late = post_with_csrf(
        client,
        f"/admin/clients/edit/?id={world.a_client}",
        {**CLIENT, "city": "Nice", "version": stale},
    )

    assert saved.status_code == 302
    page = late.get_data(as_text=True)
    assert late.status_code == 200 and "Someone else saved this client" in page
    assert 'value="Nice"' in page  # the user's input is kept
    with app.app_context():
        assert db.session.get_one(Client, world.a_client).city == "Lyon"


def test_domain_refuses_an_edit_against_an_old_version(ctx, world):
    partner = db.session.get_one(User, world.partner_a.id)

    update_client(world.a_client, partner, expected_version=1, **CLIENT)
    with pytest.raises(EditConflict):
        update_client(world.a_client, partner, expected_version=1, **{**CLIENT, "city": "Nice"})

    assert db.session.get_one(Client, world.a_client).city is None


def test_racing_saves_of_one_client_do_not_both_win(app, world):
    """Two sessions load version 1; the second commit is refused by the version check."""
    with app.app_context():
        first = db.session.get_one(Client, world.a_client)
        first.city = "Lyon"
        with db.engine.connect() as other:
            other.execute(
                Client.__table__.update()
                .where(Client.id == world.a_client)
                .values(city="Nice", version=Client.version + 1)
            )
            other.commit()
        from admin_app.domain.concurrency import commit_or_conflict

        with pytest.raises(EditConflict):
            commit_or_conflict(first)
        db.session.remove()
        assert db.session.get_one(Client, world.a_client).city == "Nice"
