"""The reports' daily roll-ups equal a recount from the missions after every kind of change."""

from __future__ import annotations

import threading
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select, update

from admin_app.data.models import (
    CancelReason,
    Mission,
    MissionStatus,
    RoleName,
    ServiceType,
    User,
)
from admin_app.data.reporting import NO_SERVICE_TYPE, ReportDay, ReportDayAll
from admin_app.domain.clients import delete_client, erase_client, merge_clients
from admin_app.domain.errors import BatchRefused, TransitionRefused
from admin_app.domain.invoices import issue_invoice
from admin_app.domain.missions import (
    apply_transition,
    cancel_mission,
    cancel_missions,
    complete_mission,
    open_mission,
    start_mission,
)
from admin_app.domain.report_rollups import (
    MissionFacts,
    duration_bucket,
    event_deltas,
    recount_report_days,
    report_zone,
)
from admin_app.extensions import db
from tests.conftest import log_in, post_with_csrf, register_client
from tests.invoice_support import add_profile, another_completed_mission

COLUMNS = [column.name for column in ReportDay.__table__.columns]
KEYS = ("partner_id", "day", "service_type_id")


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


def rollups(table=ReportDay.__table__, keys=KEYS) -> dict[tuple, dict[str, object]]:
    """Every roll-up row's non-zero figures, by partner, day and service type."""
    rows = db.session.execute(select(table)).mappings()
    kept = {}
    for row in rows:
        figures = {name: row[name] for name in COLUMNS if name not in KEYS and row[name]}
        if figures:
            kept[tuple(row[name] for name in keys)] = figures
    return kept


def all_partner_rollups() -> dict[tuple, dict[str, object]]:
    """The all-partners rows' non-zero figures, by day and service type."""
    return rollups(ReportDayAll.__table__, KEYS[1:])


def partners_summed(kept: dict[tuple, dict[str, object]]) -> dict[tuple, dict[str, object]]:
    """The partners' rows summed per day and service type, zeros left out."""
    summed: dict[tuple, dict[str, object]] = {}
    for (_, *key), figures in kept.items():
        line = summed.setdefault(tuple(key), {})
        for name, value in figures.items():
            line[name] = line.get(name, 0) + value
    return {
        key: {name: value for name, value in line.items() if value}
        for key, line in summed.items()
        if any(line.values())
    }


def first_visits() -> dict[str, bool]:
    return {id_: mark for id_, mark in db.session.execute(select(Mission.id, Mission.first_visit))}


def assert_rollups_equal_a_recount() -> dict[tuple, dict[str, object]]:
    db.session.expire_all()
    kept, marks, everyone = rollups(), first_visits(), all_partner_rollups()
    recount_report_days()
    assert rollups() == kept
    assert first_visits() == marks
    assert all_partner_rollups() == everyone == partners_summed(kept)
    return kept


def totals(kept: dict[tuple, dict[str, object]], name: str) -> object:
    return sum(figures.get(name, 0) for figures in kept.values())


def shift_opening(mission_id: str, days: int) -> None:
    """Move a mission's opening back by ``days``, then rebuild the roll-ups."""
    mission = db.session.get_one(Mission, mission_id)
    mission.created_at -= timedelta(days=days)
    db.session.commit()
    recount_report_days()


def test_a_mission_opened_at_23_30_utc_counts_on_the_next_paris_day(ctx):
    opened = datetime(2026, 3, 14, 23, 30, tzinfo=UTC)
    facts = MissionFacts(7, None, MissionStatus.PENDING, opened, None, None, None, None, None, True)

    key, changes = event_deltas(facts, "opened", report_zone())

    assert key == (7, date(2026, 3, 15), NO_SERVICE_TYPE)
    assert changes == {"opened": 1, "new_clients": 1}


def test_a_duration_falls_in_the_bucket_whose_upper_bound_holds_it():
    assert [duration_bucket(s) for s in (0, 60, 61, 86400, 86401)] == [0, 0, 1, 14, 15]


def test_registrations_and_returning_visits_count_new_and_returning_clients(ctx, make_user):
    partner = make_user(RoleName.PARTNER)
    client_id, _ = register_client(partner.id, "Alice")
    register_client(partner.id, "Bob")
    second = open_mission(client_id, partner)

    kept = assert_rollups_equal_a_recount()

    assert totals(kept, "opened") == 3
    assert totals(kept, "new_clients") == 2
    assert second.first_visit is False


def test_start_complete_and_each_cancel_reason_are_counted_once(ctx, make_user):
    partner = make_user(RoleName.PARTNER)
    missions = [register_client(partner.id, f"Client{chr(65 + index)}")[1] for index in range(6)]
    start_mission(missions[0], partner)
    complete_mission(missions[0], partner)
    start_mission(missions[1], partner)
    for mission_id, reason in zip(missions[1:5], CancelReason, strict=True):
        cancel_mission(mission_id, partner, reason.value)

    kept = assert_rollups_equal_a_recount()

    assert totals(kept, "started") == 2
    assert totals(kept, "completed") == totals(kept, "handled") == 1
    price = db.session.scalar(select(Mission.price_amount).where(Mission.id == missions[0]))
    assert totals(kept, "revenue") == (price or Decimal("0.00"))
    for reason in CancelReason:
        assert totals(kept, f"cancelled_{reason.value}") == 1


def test_a_refused_transition_leaves_the_rollups_alone(ctx, make_user):
    partner = make_user(RoleName.PARTNER)
    _, mission_id = register_client(partner.id, "Alice")
    before = rollups()

    with pytest.raises(TransitionRefused):
        apply_transition(mission_id, partner, "complete")

    assert rollups() == before


def test_batch_cancel_counts_every_mission_or_none(ctx, make_user):
    partner = make_user(RoleName.PARTNER)
    missions = [register_client(partner.id, f"Client{chr(65 + index)}")[1] for index in range(3)]
    cancel_mission(missions[2], partner, "other")
    refused_before = rollups()

    with pytest.raises(BatchRefused):
        cancel_missions(missions, partner, "no_show")
    assert rollups() == refused_before

    assert cancel_missions(missions[:2], partner, "no_show") == 2
    kept = assert_rollups_equal_a_recount()
    assert totals(kept, "cancelled_no_show") == 2


def test_panel_batch_actions_keep_the_rollups(app, client, world):
    log_in(client, world.partner_a)
    ids = [world.a_mission, world.a_started_mission]

    post_with_csrf(client, "/admin/missions/action/", {"action": "start", "rowid": ids})
    post_with_csrf(client, "/admin/missions/action/", {"action": "complete", "rowid": ids})

    with app.app_context():
        kept = assert_rollups_equal_a_recount()
        assert totals(kept, "completed") == 2


def test_deleting_and_erasing_clients_take_their_missions_out(ctx, make_user):
    partner, admin = make_user(RoleName.PARTNER), make_user(RoleName.ADMIN)
    deleted, deleted_mission = register_client(partner.id, "Doomed")
    erased, erased_mission = register_client(partner.id, "Erased")
    register_client(partner.id, "Stays")
    start_mission(deleted_mission, partner)
    complete_mission(deleted_mission, partner)
    cancel_mission(erased_mission, partner, "duplicate")
    open_mission(erased, partner)

    delete_client(deleted, partner)
    erase_client(erased, admin)

    kept = assert_rollups_equal_a_recount()
    assert totals(kept, "opened") == totals(kept, "new_clients") == 1
    assert totals(kept, "completed") == totals(kept, "cancelled_duplicate") == 0


def test_erasing_an_invoiced_client_keeps_its_invoiced_mission_counted(ctx, make_user):
    partner, admin = make_user(RoleName.PARTNER), make_user(RoleName.ADMIN)
    add_profile(partner.id)
    client_id, first_mission = register_client(partner.id, "Invoiced")
    cancel_mission(first_mission, partner, "no_show")
    shift_opening(first_mission, 2)
    invoiced = another_completed_mission(partner.id, client_id, "40.00")
    issue_invoice(partner, client_id, [invoiced])

    erase_client(client_id, admin)

    kept = assert_rollups_equal_a_recount()
    assert totals(kept, "opened") == totals(kept, "new_clients") == 1
    assert totals(kept, "completed") == 1 and totals(kept, "cancelled_no_show") == 0
    assert totals(kept, "revenue") == Decimal("40.00")


@pytest.mark.parametrize("keep_newer", [False, True])
def test_merging_moves_the_first_visit_to_the_earliest_mission(ctx, make_user, keep_newer):
    partner, admin = make_user(RoleName.PARTNER), make_user(RoleName.ADMIN)
    older, older_mission = register_client(partner.id, "Alice")
    newer, newer_mission = register_client(partner.id, "Alise")
    open_mission(newer, partner)
    start_mission(older_mission, partner)
    shift_opening(older_mission, 3)
    keep, drop = (newer, older) if keep_newer else (older, newer)

    assert merge_clients(keep, drop, admin) == (1 if keep_newer else 2)

    kept = assert_rollups_equal_a_recount()
    assert totals(kept, "opened") == 3
    assert totals(kept, "new_clients") == 1
    marks = first_visits()
    assert marks == {mission_id: mission_id == older_mission for mission_id in marks}
    assert marks[newer_mission] is False
    older_day = db.session.scalar(select(Mission.created_at).where(Mission.id == older_mission))
    key = (partner.id, older_day.astimezone(report_zone()).date(), service_of(older_mission))
    assert kept[key]["new_clients"] == 1


def test_missions_without_a_service_type_count_under_none(ctx, make_user):
    partner = make_user(RoleName.PARTNER)
    db.session.execute(update(ServiceType).values(active=False))
    db.session.commit()
    _, mission_id = register_client(partner.id, "Alice")
    start_mission(mission_id, partner)
    complete_mission(mission_id, partner)

    kept = assert_rollups_equal_a_recount()

    (key,) = kept
    assert key[2] == NO_SERVICE_TYPE
    assert kept[key]["completed"] == 1
    assert "revenue" not in kept[key]


def test_command_line_paths_keep_the_rollups(app, runner):
    result = runner.invoke(args=["walkin", "demo"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        kept = assert_rollups_equal_a_recount()
        assert totals(kept, "opened") > 0
        partner_email, mission_id = db.session.execute(
            select(User.email, Mission.id)
            .join(User, User.id == Mission.partner_id)
            .where(Mission.status == MissionStatus.PENDING)
            .limit(1)
        ).one()
    started = runner.invoke(args=["walkin", "mission", "start", mission_id, "--by", partner_email])
    assert started.exit_code == 0, started.output
    with app.app_context():
        assert totals(assert_rollups_equal_a_recount(), "started") == totals(kept, "started") + 1


def test_recount_command_rebuilds_rollups_changed_by_hand(app, runner, world):
    with app.app_context():
        expected = rollups()
        db.session.execute(ReportDay.__table__.delete())
        db.session.commit()

    result = runner.invoke(args=["walkin", "recount"])

    assert result.exit_code == 0, result.output
    with app.app_context():
        assert rollups() == expected != {}


def service_of(mission_id: str) -> int:
    service = db.session.scalar(select(Mission.service_type_id).where(Mission.id == mission_id))
    return service or NO_SERVICE_TYPE


def test_simultaneous_changes_of_one_day_lose_no_count(app, make_account):
    """PostgreSQL: eight people start, complete and cancel missions of one shop at once; every
    upsert adds to the same day's row, none overwrites another (and none deadlocks)."""
    partner = make_account(RoleName.PARTNER)
    with app.app_context():
        if db.engine.dialect.name != "postgresql":
            pytest.skip("concurrent writers: PostgreSQL only (SQLite runs one at a time)")
        missions = [
            register_client(partner.id, f"Client{chr(65 + index)}")[1] for index in range(8)
        ]

    def work(mission_id: str, index: int) -> None:
        with app.app_context():
            actor = db.session.get_one(User, partner.id)
            start_mission(mission_id, actor)
            if index % 2:
                complete_mission(mission_id, actor)
            else:
                cancel_mission(mission_id, actor, "client_left")
            db.session.remove()

    workers = [
        threading.Thread(target=work, args=(mission_id, index))
        for index, mission_id in enumerate(missions)
    ]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=30)

    with app.app_context():
        kept = assert_rollups_equal_a_recount()
        assert (totals(kept, "started"), totals(kept, "completed")) == (8, 4)
        assert totals(kept, "cancelled_client_left") == 4


def test_shops_cancelling_batches_at_once_share_the_all_partners_rows_without_deadlock(
    app, make_account
):
    """PostgreSQL: eight shops cancel a batch of two missions (two service types) at once; the
    all-partners rows of today's two service types take every count, and no batch is lost to
    a deadlock (the shared rows are taken at the commit, in one order)."""
    with app.app_context():
        if db.engine.dialect.name != "postgresql":
            pytest.skip("concurrent writers: PostgreSQL only (SQLite runs one at a time)")
        services = []
        for name in ("Repair", "Fitting"):
            service = ServiceType(name_en=name, name_fr=name, price_amount=Decimal("10.00"))
            db.session.add(service)
            db.session.commit()
            services.append(service.id)
    batches = []
    for index in range(8):
        partner = make_account(RoleName.PARTNER)
        with app.app_context():
            batches.append((partner.id, [
                register_client(partner.id, f"Client{chr(65 + index)}", service_type_id=service)[1]
                for service in (services if index % 2 else services[::-1])
            ]))  # fmt: skip
    failures: list[BaseException] = []

    def work(partner_id: int, mission_ids: list[str]) -> None:
        with app.app_context():
            try:
                cancel_missions(mission_ids, db.session.get_one(User, partner_id), "no_show")
            except BaseException as error:  # noqa: BLE001  (reported by the test)
                failures.append(error)
            finally:
                db.session.remove()

    workers = [threading.Thread(target=work, args=batch) for batch in batches]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=30)

    assert failures == []
    with app.app_context():
        assert assert_rollups_equal_a_recount()
        everyone = all_partner_rollups()
        assert sum(line.get("cancelled_no_show", 0) for line in everyone.values()) == 16
        assert {key[1] for key in everyone} == set(services)


def test_a_new_action_in_the_table_is_counted_like_any_change(ctx, make_user, monkeypatch):
    """A "reopen" (cancelled back to pending) added to the table: the cancellation leaves the
    roll-ups, and the second start replaces the first."""
    from admin_app.domain.transitions import TRANSITIONS
    from tests.test_messages import REOPEN

    monkeypatch.setitem(TRANSITIONS, "reopen", REOPEN)
    partner = make_user(RoleName.PARTNER)
    _, mission_id = register_client(partner.id, "Alice")
    start_mission(mission_id, partner)
    cancel_mission(mission_id, partner, "other")

    apply_transition(mission_id, partner, "reopen")
    start_mission(mission_id, partner)
    complete_mission(mission_id, partner)

    kept = assert_rollups_equal_a_recount()
    assert totals(kept, "cancelled_other") == 0
    assert (totals(kept, "started"), totals(kept, "completed")) == (1, 1)
