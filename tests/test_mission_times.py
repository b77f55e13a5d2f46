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


def test_the_command_line_cancels_with_a_reason_and_a_note(app, world):
    runner = app.test_cli_runner()
    args = ["walkin", "mission", "cancel", world.a_mission, "--by", world.partner_a.email]

    missing = runner.invoke(args=args)
    unknown = runner.invoke(args=[*args, "--reason", "bored"])
    misplaced = runner.invoke(
        args=["walkin", "mission", "start", world.a_mission, "--by", world.partner_a.email,
              "--reason", "no_show"]
    )  # fmt: skip
    done = runner.invoke(args=[*args, "--reason", "duplicate", "--note", "Same as Monday"])

    assert missing.exit_code == 2 and "cancel needs --reason" in missing.output
    assert unknown.exit_code == 2 and "'client_left', 'no_show'" in unknown.output
    assert misplaced.exit_code == 2 and "only go with cancel" in misplaced.output
    assert done.exit_code == 0 and done.output == f"Mission {world.a_mission} cancelled.\n"
    with app.app_context():
        mission = db.session.get_one(Mission, world.a_mission)
        assert (mission.status, mission.cancel_reason, mission.cancel_note) == (
            MissionStatus.CANCELLED, CancelReason.DUPLICATE, "Same as Monday",
        )  # fmt: skip


def test_demo_and_bench_data_give_cancelled_missions_reasons_and_times(app):
    runner = app.test_cli_runner()
    runner.invoke(args=["walkin", "demo"])
    made = runner.invoke(
        args=["walkin", "bench-data", "--force", "--partners", "3", "--clients", "50",
              "--missions", "600"]
    )  # fmt: skip

    assert made.exit_code == 0, made.output
    with app.app_context():
        rows = db.session.execute(
            select(Mission.status, Mission.created_at, Mission.started_at, Mission.completed_at,
                   Mission.cancelled_at, Mission.cancel_reason)
        ).all()  # fmt: skip
    cancelled = [row for row in rows if row.status is MissionStatus.CANCELLED]
    assert len(cancelled) > 20
    assert all(row.cancel_reason and row.cancelled_at for row in cancelled)
    assert {row.cancel_reason for row in cancelled} == set(CancelReason)
    assert all(
        row.cancel_reason is None and row.cancelled_at is None
        for row in rows if row.status is not MissionStatus.CANCELLED
    )  # fmt: skip
    worked = [
        row for row in rows if row.status in (MissionStatus.IN_PROGRESS, MissionStatus.COMPLETED)
    ]
    assert all(row.created_at <= row.started_at for row in worked)
    assert all(
        row.started_at <= row.completed_at
        for row in worked
        if row.status is MissionStatus.COMPLETED
    )
