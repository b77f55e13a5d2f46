"""A mission's timeline: append-only notes interleaved with its history, newest first, on its
page; partners and admins add notes to missions they may change, support reads."""

from __future__ import annotations

import csv
import io
import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from admin_app.data.db_types import utcnow
from admin_app.data.models import MissionEvent, MissionNote, User
from admin_app.domain.errors import MissionNotFound, NotAllowed, ValidationError
from admin_app.domain.missions import cancel_mission
from admin_app.domain.timeline import add_note, mission_timeline
from admin_app.extensions import db
from tests.conftest import log_in, post_with_csrf
from tests.test_query_counts import counted_queries

NOTE = "/admin/missions/note/"


def details(mission_id: str) -> str:
    return f"/admin/missions/details/?id={mission_id}"


def timeline_rows(page: str) -> list[str]:
    """Each row of the timeline table, its tags removed and its spaces squeezed."""
    table = page[page.index('data-testid="timeline"') :]
    table = table[: table.index("</table>")]
    rows = re.findall(r"<tr class=\"timeline-[a-z]+\">(.*?)</tr>", table, re.S)
    return [" ".join(re.sub(r"<[^>]+>", " ", row).split()) for row in rows]


def note_count(app, mission_id: str) -> int:
    with app.app_context():
        query = select(func.count()).where(MissionNote.mission_id == mission_id)
        return db.session.scalar(query) or 0


def test_a_partner_adds_notes_and_sees_them_interleaved_with_the_history(app, client, world):
    log_in(client, world.partner_a)

    added = post_with_csrf(client, NOTE, {"id": world.a_started_mission, "text": "Ring at 5"})
    post_with_csrf(client, NOTE, {"id": world.a_started_mission, "text": "<b>Came back</b>\nok"})
    with app.app_context():
        cancel_mission(
            world.a_started_mission, db.session.get_one(User, world.partner_a.id),
            "client_left", "gone home",
        )  # fmt: skip
    page = client.get(details(world.a_started_mission)).get_data(as_text=True)

    assert added.status_code == 302
    assert added.headers["Location"].startswith(details(world.a_started_mission))
    email = world.partner_a.email
    rows = timeline_rows(page)
    assert [row.split(email, 1)[1].strip() for row in rows] == [
        "Cancelled Cancelled — client left: gone home",
        "&lt;b&gt;Came back&lt;/b&gt; ok",
        "Ring at 5",
        "In progress Started",
        "Pending Mission opened",
    ]
    assert "<b>Came back</b>" not in page and "Note added." in page


def test_the_note_form_is_shown_to_partners_and_admins_not_to_support(app, client, world):
    log_in(client, world.support)
    support_page = client.get(details(world.a_mission)).get_data(as_text=True)
    admin = app.test_client()
    log_in(admin, world.admin)
    admin_page = admin.get(details(world.a_mission)).get_data(as_text=True)

    assert 'data-testid="timeline"' in support_page
    assert 'data-testid="note-form"' not in support_page
    assert 'data-testid="note-form"' in admin_page


@pytest.mark.parametrize(("who", "status"), [("partner_b", 404), ("support", 403)])
def test_a_note_on_a_mission_the_user_may_not_change_is_refused(app, client, world, who, status):
    log_in(client, getattr(world, who))

    response = post_with_csrf(client, NOTE, {"id": world.a_mission, "text": "sneaky"})

    assert response.status_code == status
    assert note_count(app, world.a_mission) == 0


def test_an_admin_adds_a_note_to_any_partners_mission(app, client, world):
    log_in(client, world.admin)

    post_with_csrf(client, NOTE, {"id": world.b_mission, "text": "Checked by head office"})

    with app.app_context():
        note = db.session.scalars(select(MissionNote)).one()
        assert (note.mission_id, note.author_email, note.text) == (
            world.b_mission, world.admin.email, "Checked by head office",
        )  # fmt: skip


def test_an_empty_note_is_refused_with_a_message(app, client, world):
    log_in(client, world.partner_a)

    response = post_with_csrf(client, NOTE, {"id": world.a_mission, "text": "   "})
    page = client.get(response.headers["Location"]).get_data(as_text=True)

    assert "Note not added: This field is required." in page
    assert note_count(app, world.a_mission) == 0


def test_notes_are_append_only_the_mission_has_no_edit_form(client, world):
    log_in(client, world.partner_a)

    assert client.get(f"/admin/missions/edit/?id={world.a_mission}").status_code == 404
    assert "/admin/missions/edit/" not in client.get("/admin/missions/").get_data(as_text=True)


def test_the_page_shows_the_newest_100_entries_and_says_so(app, client, world):
    with app.app_context():
        start = utcnow() + timedelta(minutes=1)
        db.session.add_all(
            MissionNote(mission_id=world.a_mission, author_id=world.partner_a.id,
                        author_email=world.partner_a.email, at=start + timedelta(seconds=index),
                        text=f"note {index}")
            for index in range(105)
        )  # fmt: skip
        db.session.commit()
    log_in(client, world.partner_a)

    page = client.get(details(world.a_mission)).get_data(as_text=True)
    rows = timeline_rows(page)

    assert len(rows) == 100 and rows[0].endswith("note 104") and rows[-1].endswith("note 5")
    assert "Showing the newest 100 entries." in page


@pytest.mark.slow
def test_the_details_page_costs_the_same_queries_with_3_and_300_entries(app, client, world):
    log_in(client, world.partner_a)
    url = details(world.a_started_mission)
    client.get(url)
    with counted_queries(app) as few:
        client.get(url)
    for index in range(300):
        post_with_csrf(client, NOTE, {"id": world.a_started_mission, "text": f"n{index}"})
    with counted_queries(app) as many:
        client.get(url)

    assert len(many) == len(few) <= 10


def test_the_timeline_speaks_french(app, client, world):
    with app.app_context():
        partner = db.session.get_one(User, world.partner_a.id)
        cancel_mission(world.a_mission, partner, "no_show")
    log_in(client, world.partner_a)
    post_with_csrf(client, "/language", {"language": "fr", "next": "/admin/"})

    page = client.get(details(world.a_mission)).get_data(as_text=True)

    assert "Annulée — absent" in page and "Mission ouverte" in page
    assert "Ajouter une note" in page and "Motif d'annulation" in page


def test_the_domain_refuses_notes_outside_the_scope_and_from_support(app, world):
    with app.app_context():
        other = db.session.get_one(User, world.partner_b.id)
        support = db.session.get_one(User, world.support.id)
        with pytest.raises(MissionNotFound):
            add_note(world.a_mission, other, "x")
        with pytest.raises(NotAllowed):
            add_note(world.a_mission, support, "x")
        with pytest.raises(ValidationError):
            add_note(world.a_mission, db.session.get_one(User, world.partner_a.id), "\x07")
        with pytest.raises(MissionNotFound):
            mission_timeline(world.a_mission, other)


def test_the_reason_and_times_are_on_the_page_and_in_the_csv_export(app, client, world):
    with app.app_context():
        partner = db.session.get_one(User, world.partner_a.id)
        cancel_mission(world.a_started_mission, partner, "duplicate", "same as yesterday")
    log_in(client, world.partner_a)

    page = client.get(details(world.a_started_mission)).get_data(as_text=True)
    exported = client.get("/admin/missions/export/csv/").get_data(as_text=True)
    rows = {row["First Name"]: row for row in csv.DictReader(io.StringIO(exported))}

    assert "Cancel reason" in page and "Duplicate" in page and "same as yesterday" in page
    arthur = rows["Arthur"]
    assert arthur["Cancel reason"] == "Duplicate" and arthur["Cancel note"] == "same as yesterday"
    assert arthur["Started"] and arthur["Cancelled"] and not rows["Alice"]["Cancelled"]


def test_history_keeps_the_reason_of_each_cancellation(app, world):
    with app.app_context():
        partner = db.session.get_one(User, world.partner_a.id)
        cancel_mission(world.a_mission, partner, "other", "moved away")
        event = db.session.scalars(
            select(MissionEvent).where(MissionEvent.mission_id == world.a_mission)
            .order_by(MissionEvent.id.desc())
        ).first()  # fmt: skip
        assert (event.reason.value, event.note) == ("other", "moved away")
