"""A mission records when it was started, completed and cancelled, and why it was cancelled:
set by the transition's own conditional UPDATE, kept in its history too."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from sqlalchemy import select

from admin_app.data.models import (
    CancelReason,
    Mission,
    MissionEvent,
    MissionStatus,
    RoleName,
    User,
)
from admin_app.domain.errors import BatchRefused, MissionNotFound, ValidationError
from admin_app.domain.missions import apply_transition, cancel_missions
from admin_app.extensions import db
from tests.test_tally import counted_from_rows, figures_of, tally_rows
from tests.test_transitions import P, new_mission, run_in_threads


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


@pytest.mark.parametrize(
    ("reason", "problem"),
    [(None, "required"), ("", "required"), ("bored", "not_a_choice"),
     ("CLIENT_LEFT", "not_a_choice"), (3, "not_a_choice")],
)  # fmt: skip
def test_cancelling_without_a_reason_of_the_list_is_refused_and_nothing_changes(
    make_user, reason, problem
):
    partner = make_user(RoleName.PARTNER)
    mission = new_mission(partner)

    with pytest.raises(ValidationError) as refused:
        apply_transition(mission.id, partner, "cancel", reason=reason)

    assert refused.value.errors["reason"].code == problem
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


def test_a_batch_cancels_all_its_missions_and_keeps_the_totals(make_user):
    partner, admin = make_user(RoleName.PARTNER), make_user(RoleName.ADMIN)
    missions = [new_mission(partner, f"m{index}@example.com").id for index in range(3)]
    apply_transition(missions[0], partner, "start")

    assert cancel_missions(missions, admin, "client_left") == 3

    rows = db.session.scalars(select(Mission).where(Mission.id.in_(missions))).all()
    assert {(row.status, row.cancel_reason) for row in rows} == {
        (MissionStatus.CANCELLED, CancelReason.CLIENT_LEFT)
    }
    assert figures_of(partner) == counted_from_rows(partner.id) == (0, 0, 3)


def test_a_batch_with_one_refused_mission_cancels_none_and_names_it(make_user):
    partner = make_user(RoleName.PARTNER)
    missions = [new_mission(partner, f"m{index}@example.com").id for index in range(3)]
    apply_transition(missions[1], partner, "start")
    apply_transition(missions[1], partner, "complete")
    before = tally_rows()

    with pytest.raises(BatchRefused) as refused:
        cancel_missions(missions, partner, "no_show")

    assert list(refused.value.refusals) == [missions[1]]
    assert refused.value.refusals[missions[1]].code == "transition_refused"
    statuses = db.session.scalars(select(Mission.status).where(Mission.id.in_(missions))).all()
    assert sorted(statuses) == sorted([P, P, MissionStatus.COMPLETED])
    assert tally_rows() == before


def test_a_batch_naming_another_partners_mission_is_not_found_before_anything_is_written(
    make_user,
):
    partner, other = make_user(RoleName.PARTNER), make_user(RoleName.PARTNER)
    own, foreign = new_mission(partner).id, new_mission(other, "x@example.com").id

    with pytest.raises(MissionNotFound):
        cancel_missions([own, foreign], partner, "duplicate")

    assert db.session.get_one(Mission, own, populate_existing=True).status is P


def test_overlapping_batches_at_once_never_deadlock_and_cancel_each_mission_once(ctx, make_user):
    """Two people cancel overlapping selections at the same instant: one batch wins, the other
    is refused whole (its missions changed meanwhile) or waits and finds them cancelled."""
    partner = make_user(RoleName.PARTNER)
    missions = [new_mission(partner, f"m{index}@example.com").id for index in range(6)]
    partner_id = partner.id
    db.session.remove()

    def batch(ids: list[str]) -> Callable[[], object]:
        return lambda: cancel_missions(ids, db.session.get_one(User, partner_id), "other")

    results = run_in_threads(
        ctx, [batch(missions[:4]), batch(list(reversed(missions[2:]))), batch(missions[1:5])]
    )

    assert not [r for r in results if not isinstance(r, int | BatchRefused)], results
    events = db.session.scalars(
        select(MissionEvent.mission_id).where(MissionEvent.to_status == MissionStatus.CANCELLED)
    ).all()
    assert len(events) == len(set(events))
    assert counted_from_rows(partner_id) == figures_of(db.session.get_one(User, partner_id))
