"""Mission transitions: DESIGN.md's table cell by cell, refusals, conflicts, history."""

from __future__ import annotations

import threading
from collections.abc import Callable

import pytest
from sqlalchemy import delete, event, func, select

from admin_app.data.models import Client, Mission, MissionEvent, MissionStatus, RoleName, User
from admin_app.domain.errors import MissionChanged, MissionNotFound, NotAllowed, TransitionRefused
from admin_app.domain.missions import (
    apply_transition,
    cancel_mission,
    complete_mission,
    mission_history,
    register_walk_in_client,
    start_mission,
)
from admin_app.extensions import db

P, IP, C, X = (
    MissionStatus.PENDING,
    MissionStatus.IN_PROGRESS,
    MissionStatus.COMPLETED,
    MissionStatus.CANCELLED,
)
# How to bring a fresh (pending) mission to each status through the rules themselves.
PATH_TO = {P: [], IP: ["start"], C: ["start", "complete"], X: ["cancel"]}
# DESIGN.md: (status, action) -> resulting status, or None where the action is refused.
TABLE = {
    (P, "start"): IP, (P, "complete"): None, (P, "cancel"): X,
    (IP, "start"): None, (IP, "complete"): C, (IP, "cancel"): X,
    (C, "start"): None, (C, "complete"): None, (C, "cancel"): None,
    (X, "start"): None, (X, "complete"): None, (X, "cancel"): None,
}  # fmt: skip
ACTIONS: dict[str, Callable[[str, User], MissionStatus]] = {
    "start": start_mission,
    "complete": complete_mission,
    "cancel": lambda mission_id, actor: cancel_mission(mission_id, actor, "client_left"),
}


def new_mission(partner: User, email: str = "ana@example.com") -> Mission:
    _, mission = register_walk_in_client(
        partner, first_name="Ana", last_name="Lima", email=email, phone="+33612345678"
    )
    return mission


def mission_in(status: MissionStatus, partner: User) -> Mission:
    mission = new_mission(partner)
    for action in PATH_TO[status]:
        ACTIONS[action](mission.id, partner)
    return db.session.get_one(Mission, mission.id, populate_existing=True)


def event_count(mission_id: str) -> int:
    query = select(func.count()).where(MissionEvent.mission_id == mission_id)
    return db.session.scalar(query) or 0


@pytest.mark.parametrize(("status", "action"), sorted(TABLE, key=str))
def test_every_cell_of_the_transition_table(make_user, status, action):
    partner = make_user(RoleName.PARTNER)
    mission = mission_in(status, partner)
    before = (mission.status, mission.updated_at, mission.completed_at)
    events_before = event_count(mission.id)
    expected = TABLE[(status, action)]

    if expected is None:
        with pytest.raises(TransitionRefused) as refused:
            ACTIONS[action](mission.id, partner)
        assert refused.value.status is status
        assert f"it is {status.label}" in str(refused.value)
        db.session.expire_all()
        after = db.session.get_one(Mission, mission.id)
        assert (after.status, after.updated_at, after.completed_at) == before
        assert event_count(mission.id) == events_before
        return

    assert ACTIONS[action](mission.id, partner) is expected
    moved = db.session.get_one(Mission, mission.id, populate_existing=True)
    assert moved.status is expected
    assert moved.updated_at > before[1]
    assert (moved.completed_at is not None) == (expected is C)
    if expected is C:
        assert moved.completed_at == moved.updated_at
    last = mission_history(mission.id, partner)[-1]
    assert (last.from_status, last.to_status, last.actor_id) == (status, expected, partner.id)
    assert event_count(mission.id) == events_before + 1


def test_history_records_creation_and_each_step_in_order(make_user):
    partner = make_user(RoleName.PARTNER)
    admin = make_user(RoleName.ADMIN)
    mission = new_mission(partner)
    start_mission(mission.id, partner)
    complete_mission(mission.id, admin)

    steps = [(e.from_status, e.to_status, e.actor_id) for e in mission_history(mission.id, admin)]

    assert steps == [(None, P, partner.id), (P, IP, partner.id), (IP, C, admin.id)]


def test_partner_cannot_move_other_partners_mission(make_user):
    owner, other = make_user(RoleName.PARTNER), make_user(RoleName.PARTNER)
    mission = new_mission(owner)

    with pytest.raises(MissionNotFound) as foreign:
        start_mission(mission.id, other)
    with pytest.raises(MissionNotFound) as missing:
        start_mission("no-such-mission", other)

    assert type(foreign.value) is type(missing.value)
    assert db.session.get_one(Mission, mission.id).status is P
    assert event_count(mission.id) == 1
    with pytest.raises(MissionNotFound):
        mission_history(mission.id, other)


def test_admin_may_move_any_partners_mission(make_user):
    partner, admin = make_user(RoleName.PARTNER), make_user(RoleName.ADMIN)
    mission = new_mission(partner)

    assert cancel_mission(mission.id, admin, "duplicate") is X


@pytest.mark.parametrize("role", [RoleName.SUPPORT, None])
def test_support_and_roleless_users_cannot_move_missions(make_user, role):
    partner = make_user(RoleName.PARTNER)
    actor = make_user(role) if role else make_user()
    mission = new_mission(partner)

    with pytest.raises((NotAllowed, MissionNotFound)):
        start_mission(mission.id, actor)

    assert db.session.get_one(Mission, mission.id).status is P


def test_deactivated_partner_cannot_move_its_mission(make_user):
    partner = make_user(RoleName.PARTNER)
    mission = new_mission(partner)
    partner.active = False
    db.session.commit()

    with pytest.raises(NotAllowed):
        start_mission(mission.id, partner)


def test_unknown_action_is_a_programming_error(make_user):
    partner = make_user(RoleName.PARTNER)
    mission = new_mission(partner)

    with pytest.raises(ValueError, match="unknown mission action"):
        apply_transition(mission.id, partner, "archive")


def run_in_threads(app, jobs: list[Callable[[], object]]) -> list[object]:
    """Run each job in its own thread, app context and database session."""
    results: list[object] = [None] * len(jobs)

    def run(index: int) -> None:
        with app.app_context():
            try:
                results[index] = jobs[index]()
            except Exception as error:  # noqa: BLE001 - the test inspects it
                results[index] = error
            finally:
                db.session.remove()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(jobs))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return results


def test_concurrent_transitions_on_one_mission_exactly_one_wins(ctx, make_user):
    partner, admin = make_user(RoleName.PARTNER), make_user(RoleName.ADMIN)
    mission_id = new_mission(partner).id
    partner_id, admin_id = partner.id, admin.id
    db.session.remove()
    both_read = threading.Barrier(2, timeout=10)

    def hold_updates(conn, cursor, statement, parameters, context, executemany):
        """Each session has read 'pending' before either may write: a true race."""
        if statement.lstrip().upper().startswith("UPDATE WALK_IN_MISSION"):
            both_read.wait()

    def act(action: str, user_id: int) -> Callable[[], object]:
        reason = "no_show" if action == "cancel" else None
        return lambda: apply_transition(
            mission_id, db.session.get_one(User, user_id), action, reason=reason
        )

    event.listen(db.engine, "before_cursor_execute", hold_updates)
    try:
        results = run_in_threads(ctx, [act("start", partner_id), act("cancel", admin_id)])
    finally:
        event.remove(db.engine, "before_cursor_execute", hold_updates)

    winners = [r for r in results if isinstance(r, MissionStatus)]
    losers = [r for r in results if isinstance(r, MissionChanged)]
    assert (len(winners), len(losers)) == (1, 1), results
    final = db.session.get_one(Mission, mission_id)
    assert final.status is winners[0]
    assert losers[0].expected is P and losers[0].current is final.status
    assert "changed by someone else" in str(losers[0])
    assert event_count(mission_id) == 2  # creation + the winner's step


def test_a_transition_answers_even_when_its_client_is_deleted_the_next_instant(ctx, make_user):
    """The row is not read again after the commit: a delete racing the transition cannot turn
    a transition that was made into an error."""
    partner = make_user(RoleName.PARTNER)
    mission = new_mission(partner)
    mission_id, client_id = mission.id, mission.client_id

    def delete_the_client(session) -> None:
        with db.engine.begin() as connection:
            connection.execute(delete(Client).where(Client.id == client_id))

    event.listen(db.session, "after_commit", delete_the_client, once=True)
    try:
        assert start_mission(mission_id, partner) is IP
    finally:
        if event.contains(db.session, "after_commit", delete_the_client):
            event.remove(db.session, "after_commit", delete_the_client)

    db.session.expunge_all()
    assert db.session.get(Mission, mission_id) is None
