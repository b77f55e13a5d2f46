"""missions' started and cancelled times, cancel reasons; notes become a timeline

``started_at`` and ``cancelled_at`` beside ``completed_at``, with a cancel reason (a short list:
a native enum on PostgreSQL, a checked string on SQLite) and optional words, on the mission and on
its history entry. The times are filled from the history (``mission_event``): the first entry
into each status. A mission without such an entry (rows loaded in bulk) takes its ``updated_at``
for the status it is in now (its last change), and keeps ``started_at`` empty otherwise: unknown.

Notes become append-only entries (``mission_note``): each mission's ``notes`` becomes one entry,
written by the mission's partner at the mission's ``updated_at``, and the column is dropped.
Downgrading puts the entries back into ``notes``, oldest first, separated by blank lines.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02 01:00:00

"""

from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
import admin_app.data.db_types  # noqa: F401  (autogenerate writes admin_app.data.db_types.UTCDateTime)


# revision identifiers, used by Alembic.
revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

REASONS = ("client_left", "no_show", "duplicate", "other")
native_cancel_reason = postgresql.ENUM(*REASONS, name="cancel_reason", create_type=False)
cancel_reason = sa.Enum(*REASONS, name="cancel_reason", create_constraint=True).with_variant(
    native_cancel_reason, "postgresql"
)
#: Each time column, the status whose first entry it records.
TIMES = (
    ("started_at", "in_progress"),
    ("completed_at", "completed"),
    ("cancelled_at", "cancelled"),
)


def upgrade():
    native_cancel_reason.create(op.get_bind(), checkfirst=True)
    with op.batch_alter_table("walk_in_mission", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "started_at", admin_app.data.db_types.UTCDateTime(timezone=True), nullable=True
            )
        )
        batch_op.add_column(
            sa.Column(
                "cancelled_at", admin_app.data.db_types.UTCDateTime(timezone=True), nullable=True
            )
        )
        batch_op.add_column(sa.Column("cancel_reason", cancel_reason, nullable=True))
        batch_op.add_column(sa.Column("cancel_note", sa.Text(), nullable=True))
    with op.batch_alter_table("mission_event", schema=None) as batch_op:
        batch_op.add_column(sa.Column("reason", cancel_reason, nullable=True))
        batch_op.add_column(sa.Column("note", sa.Text(), nullable=True))
    # The columns first, their indexes after: filling indexed columns updates every index.
    fill_times_from_history()
    with op.batch_alter_table("walk_in_mission", schema=None) as batch_op:
        batch_op.create_index("ix_walk_in_mission_cancelled", ["cancelled_at"], unique=False)
        batch_op.create_index(
            "ix_walk_in_mission_partner_cancelled", ["partner_id", "cancelled_at"], unique=False
        )
    create_note_table()
    op.execute(
        "INSERT INTO mission_note (mission_id, author_id, author_email, at, text)"
        " SELECT walk_in_mission.id, walk_in_mission.partner_id, \"user\".email,"
        " walk_in_mission.updated_at, walk_in_mission.notes"
        " FROM walk_in_mission JOIN \"user\" ON \"user\".id = walk_in_mission.partner_id"
        " WHERE walk_in_mission.notes IS NOT NULL AND walk_in_mission.notes <> ''"
    )
    with op.batch_alter_table("walk_in_mission", schema=None) as batch_op:
        batch_op.drop_column("notes")


def create_note_table():
    op.create_table(
        "mission_note",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("mission_id", sa.Text(), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=True),
        sa.Column("author_email", sa.Text(), nullable=True),
        sa.Column("at", admin_app.data.db_types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["author_id"], ["user.id"], name=op.f("fk_mission_note_author_id_user"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["mission_id"], ["walk_in_mission.id"],
            name=op.f("fk_mission_note_mission_id_walk_in_mission"), ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mission_note")),
    )
    with op.batch_alter_table("mission_note", schema=None) as batch_op:
        batch_op.create_index("ix_mission_note_mission_at", ["mission_id", "at", "id"], unique=False)


def notes_back_into_the_column():
    """Each mission's entries, oldest first, joined by blank lines."""
    if op.get_bind().dialect.name == "postgresql":
        joined = "string_agg(text, E'\\n\\n' ORDER BY at, id)"
        source = "mission_note"
    else:  # SQLite's group_concat follows the order of its (ordered) source
        joined = "group_concat(text, char(10) || char(10))"
        source = "(SELECT * FROM mission_note ORDER BY at, id)"
    op.execute(
        f"UPDATE walk_in_mission SET notes = (SELECT {joined} FROM {source} AS entry"
        " WHERE entry.mission_id = walk_in_mission.id)"
    )


def fill_times_from_history():
    """One UPDATE per column, each reading a mission's history through ``(mission_id, at)``."""
    missions = sa.table(
        "walk_in_mission",
        sa.column("id"),
        sa.column("status"),
        sa.column("updated_at"),
        *(sa.column(name) for name, _ in TIMES),
    )
    events = sa.table(
        "mission_event", sa.column("mission_id"), sa.column("to_status"), sa.column("at")
    )
    for name, status_name in TIMES:
        # A literal, not a bound text value: PostgreSQL compares its enum to no varchar.
        status = sa.literal_column(f"'{status_name}'")
        entered = (
            sa.select(sa.func.min(events.c.at))
            .where(events.c.mission_id == missions.c.id, events.c.to_status == status)
            .scalar_subquery()
        )
        in_it_now = sa.case((missions.c.status == status, missions.c.updated_at))
        op.execute(
            missions.update()
            .where(missions.c[name].is_(None))
            .values({name: sa.func.coalesce(entered, in_it_now)})
        )


def downgrade():
    with op.batch_alter_table("walk_in_mission", schema=None) as batch_op:
        batch_op.add_column(sa.Column("notes", sa.Text(), nullable=True))
    notes_back_into_the_column()
    op.drop_table("mission_note")
    with op.batch_alter_table("walk_in_mission", schema=None) as batch_op:
        batch_op.drop_index("ix_walk_in_mission_partner_cancelled")
        batch_op.drop_index("ix_walk_in_mission_cancelled")
    with op.batch_alter_table("mission_event", schema=None) as batch_op:
        drop_reason_check(batch_op, "mission_event")
        batch_op.drop_column("note")
        batch_op.drop_column("reason")
    with op.batch_alter_table("walk_in_mission", schema=None) as batch_op:
        drop_reason_check(batch_op, "walk_in_mission")
        batch_op.drop_column("cancel_note")
        batch_op.drop_column("cancel_reason")
        batch_op.drop_column("cancelled_at")
        batch_op.drop_column("started_at")
    native_cancel_reason.drop(op.get_bind(), checkfirst=True)


def drop_reason_check(batch_op, table):
    """SQLite's checked string: its CHECK would outlive the column in the copied table."""
    if op.get_bind().dialect.name == 'sqlite':
        batch_op.drop_constraint(op.f(f'ck_{table}_cancel_reason'), type_='check')
