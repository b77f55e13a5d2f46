"""``flask walkin bench-data``: bulk, varied, consistent rows; refuses a database with data."""

from __future__ import annotations

from collections import Counter

from sqlalchemy import func, select

from admin_app.data.models import Client, Mission, MissionStatus, PartnerTally, RoleName, User
from admin_app.data.search_keys import name_key
from admin_app.domain.scoping import visible
from admin_app.domain.tally import recount
from admin_app.extensions import db


def test_bench_data_fills_a_small_database_realistically(app):
    result = app.test_cli_runner().invoke(
        args=["walkin", "bench-data", "--partners", "10", "--clients", "200", "--missions", "2000"]
    )

    assert result.exit_code == 0, result.output
    assert "10 partners, 200 clients, 2000 missions" in result.output
    with app.app_context():
        missions = db.session.execute(
            select(Mission.partner_id, Mission.status, Mission.completed_at)
        ).all()
        assert len(missions) == 2000
        assert {status for _, status, _ in missions} == set(MissionStatus)
        assert all(
            (done is not None) == (status is MissionStatus.COMPLETED)
            for _, status, done in missions
        )
        shares = Counter(partner for partner, _, _ in missions)
        assert max(shares.values()) > 2 * min(shares.values())  # some partners are much busier
        mismatched = (
            select(func.count())
            .select_from(Mission)
            .join(Client)
            .where(Client.partner_id != Mission.partner_id)
        )
        assert db.session.scalar(mismatched) == 0
        names = db.session.scalars(select(Client.first_name)).all()
        assert any(not name.isascii() for name in names) and any(name.isascii() for name in names)
        partner = db.session.scalars(
            select(User).where(User.email.like("bench-partner-000-%"))
        ).one()
        assert partner.has_role(RoleName.PARTNER)
        own = db.session.scalars(visible(Mission, partner)).all()
        assert own and all(m.partner_id == partner.id for m in own)
        keys = db.session.execute(select(Client.last_name, Client.last_name_key)).all()
        assert all(key == name_key(name) for name, key in keys)
        totals = select(PartnerTally.partner_id, PartnerTally.clients, PartnerTally.pending)
        kept = sorted(db.session.execute(totals).all())
        recount()
        assert len(kept) == 10 and kept == sorted(db.session.execute(totals).all())


def test_bench_data_refuses_a_database_that_holds_clients(app, world):
    result = app.test_cli_runner().invoke(
        args=["walkin", "bench-data", "--partners", "1", "--clients", "1", "--missions", "1"]
    )

    assert result.exit_code != 0 and "already holds clients" in result.output
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Client)) == 3
