"""A mission records when it was started, completed and cancelled, and why it was cancelled:
set by the transition's own conditional UPDATE, kept in its history too."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from admin_app.data.models import CancelReason, Mission, MissionEvent, MissionStatus, RoleName
from admin_app.domain.errors import ValidationError
from admin_app.domain.missions import apply_transition
from admin_app.extensions import db
from tests.test_transitions import new_mission


def reread(mission_id: str) -> Mission:
    return db.session.get_one(Mission, mission_id, populate_existing=True)


def test_each_transition_sets_its_own_time_and_no_other(make_user):
    partner = make_user(RoleName.PARTNER)
    mission = new_mission(partner)

    apply_transition(mission.id, partner, "start")
    started = reread(mission.id)
    assert started.started_at == started.updated_at
    assert started.completed_at is None and started.cancelled_at is None

    apply_transition(mission.id, partner, "complete")
    completed = reread(mission.id)
    assert completed.started_at < completed.completed_at == completed.updated_at
    assert completed.cancelled_at is None and completed.cancel_reason is None


def test_cancelling_records_the_reason_and_note_on_the_mission_and_in_its_history(make_user):
    partner = make_user(RoleName.PARTNER)
    mission = new_mission(partner)

    apply_transition(mission.id, partner, "cancel", reason="no_show", note="  Rang twice  ")

    cancelled = reread(mission.id)
    assert cancelled.status is MissionStatus.CANCELLED
    assert cancelled.cancelled_at == cancelled.updated_at and cancelled.started_at is None
    assert (cancelled.cancel_reason, cancelled.cancel_note) == (CancelReason.NO_SHOW, "Rang twice")
    last = db.session.scalars(
        select(MissionEvent).where(MissionEvent.mission_id == mission.id).order_by(MissionEvent.id)
    ).all()[-1]
    assert (last.to_status, last.reason, last.note) == (
        MissionStatus.CANCELLED, CancelReason.NO_SHOW, "Rang twice",
    )  # fmt: skip
    assert last.at == cancelled.cancelled_at


@pytest.mark.parametrize("reason", ["bored", "CLIENT_LEFT", 3])
def test_a_reason_outside_the_list_is_refused_and_nothing_changes(make_user, reason):
    partner = make_user(RoleName.PARTNER)
    mission = new_mission(partner)

    with pytest.raises(ValidationError) as refused:
        apply_transition(mission.id, partner, "cancel", reason=reason)

    assert refused.value.errors["reason"].code == "not_a_choice"
    assert reread(mission.id).status is MissionStatus.PENDING


def test_the_database_refuses_a_reason_outside_the_list(make_user):
    partner = make_user(RoleName.PARTNER)
    mission = new_mission(partner)
    table = Mission.__table__

    with pytest.raises(Exception, match="(?i)check|enum|invalid|constraint"):
        db.session.execute(
            table.update()
            .where(table.c.id == mission.id)
            .values(cancel_reason=db.literal_column("'bored'"))
        )
    db.session.rollback()
