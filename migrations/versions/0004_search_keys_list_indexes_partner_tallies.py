"""search keys, list indexes, partner tallies

Client search gets normalised name columns with pg_trgm indexes on PostgreSQL (B-trees on
SQLite, where search matches the start of a value); the lists get indexes that match their
orders and filters; the dashboard reads per-partner running totals instead of counting.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-25 10:39:47.084758

"""
import unicodedata

from alembic import op
import sqlalchemy as sa
import flask_security  # noqa: F401  (autogenerate writes flask_security.AsaList)
import admin_app.data.db_types  # noqa: F401  (autogenerate writes admin_app.data.db_types.UTCDateTime)


# revision identifiers, used by Alembic.
revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


TRGM_INDEXES = ("email", "phone")
SQLITE_PARTNER_SEARCH = ("first_name_key", "last_name_key", "email", "phone")
STATUSES = ("pending", "in_progress", "completed", "cancelled")
BACKFILL_BATCH = 5_000


def name_key(text):
    """``admin_app.data.search_keys.name_key`` as of this revision."""
    bare = "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))
    return unicodedata.normalize("NFC", bare).casefold()


def postgresql():
    return op.get_bind().dialect.name == "postgresql"


def upgrade():
    if postgresql():
        op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    op.create_table('partner_tally',
    sa.Column('partner_id', sa.Integer(), nullable=False),
    sa.Column('clients', sa.Integer(), server_default='0', nullable=False),
    sa.Column('pending', sa.Integer(), server_default='0', nullable=False),
    sa.Column('in_progress', sa.Integer(), server_default='0', nullable=False),
    sa.Column('completed', sa.Integer(), server_default='0', nullable=False),
    sa.Column('cancelled', sa.Integer(), server_default='0', nullable=False),
    sa.ForeignKeyConstraint(['partner_id'], ['user.id'], name=op.f('fk_partner_tally_partner_id_user'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('partner_id', name=op.f('pk_partner_tally'))
    )
    with op.batch_alter_table('walk_in_client', schema=None) as batch_op:
        batch_op.add_column(sa.Column('first_name_key', sa.Text(), server_default='', nullable=False))
        batch_op.add_column(sa.Column('last_name_key', sa.Text(), server_default='', nullable=False))
        batch_op.add_column(sa.Column('city_key', sa.Text(), server_default='', nullable=False))
    # Keys first, indexes after: filling indexed columns row by row would update every index.
    fill_name_keys()
    with op.batch_alter_table('walk_in_client', schema=None) as batch_op:
        batch_op.create_index('ix_walk_in_client_city', ['city_key', 'created_at', 'id'], unique=False)
        batch_op.create_index('ix_walk_in_client_partner_city', ['partner_id', 'city_key', 'created_at', 'id'], unique=False)
        batch_op.create_index('ix_walk_in_client_created', ['created_at', 'id'], unique=False)
        batch_op.drop_index('ix_walk_in_client_partner_created')
        batch_op.create_index('ix_walk_in_client_partner_created', ['partner_id', 'created_at', 'id'], unique=False)
        batch_op.create_index('ix_walk_in_client_first_name_key', ['first_name_key'], unique=False, postgresql_using='gin', postgresql_ops={'first_name_key': 'gin_trgm_ops'})
        batch_op.create_index('ix_walk_in_client_last_name_key', ['last_name_key'], unique=False, postgresql_using='gin', postgresql_ops={'last_name_key': 'gin_trgm_ops'})
        batch_op.create_index('ix_walk_in_client_partner_last_name', ['partner_id', 'last_name'], unique=False)

    with op.batch_alter_table('walk_in_mission', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_walk_in_mission_client'))
        batch_op.create_index('ix_walk_in_mission_client', ['client_id', 'created_at', 'partner_id', 'id'], unique=False)
        batch_op.drop_index(batch_op.f('ix_walk_in_mission_partner_status'))
        batch_op.create_index('ix_walk_in_mission_partner_status', ['partner_id', 'status', 'created_at', 'id'], unique=False)
        batch_op.drop_index('ix_walk_in_mission_partner_created')
        batch_op.create_index('ix_walk_in_mission_partner_created', ['partner_id', 'created_at', 'id'], unique=False)
        batch_op.create_index('ix_walk_in_mission_completed', ['completed_at'], unique=False)
        batch_op.create_index('ix_walk_in_mission_created', ['created_at', 'id'], unique=False)
        batch_op.create_index('ix_walk_in_mission_partner_completed', ['partner_id', 'completed_at'], unique=False)
        batch_op.create_index('ix_walk_in_mission_status', ['status', 'created_at', 'id'], unique=False)

    if postgresql():
        for column in TRGM_INDEXES:
            op.drop_index(f"ix_walk_in_client_{column}", table_name="walk_in_client")
            op.create_index(
                f"ix_walk_in_client_{column}", "walk_in_client", [column],
                postgresql_using="gin", postgresql_ops={column: "gin_trgm_ops"},
            )
    else:
        for column in SQLITE_PARTNER_SEARCH:
            op.create_index(
                f"ix_walk_in_client_partner_{column}", "walk_in_client", ["partner_id", column]
            )
    fill_tallies()


def fill_name_keys():
    bind = op.get_bind()
    clients = sa.table(
        "walk_in_client", sa.column("id"), sa.column("first_name"), sa.column("last_name"),
        sa.column("city"), sa.column("first_name_key"), sa.column("last_name_key"),
        sa.column("city_key"),
    )
    rows = bind.execute(
        sa.select(clients.c.id, clients.c.first_name, clients.c.last_name, clients.c.city)
    ).all()
    change = (
        sa.update(clients)
        .where(clients.c.id == sa.bindparam("row_id"))
        .values(
            first_name_key=sa.bindparam("first"),
            last_name_key=sa.bindparam("last"),
            city_key=sa.bindparam("city_of"),
        )
    )
    for start in range(0, len(rows), BACKFILL_BATCH):
        batch = rows[start:start + BACKFILL_BATCH]
        bind.execute(change, [
            {"row_id": id_, "first": name_key(first), "last": name_key(last),
             "city_of": name_key(city or "")}
            for id_, first, last, city in batch
        ])


def fill_tallies():
    per_status = ", ".join(
        f"sum(CASE WHEN status = '{status}' THEN 1 ELSE 0 END) AS {status}" for status in STATUSES
    )
    totals = ", ".join(f"coalesce(m.{status}, 0)" for status in STATUSES)
    op.execute(
        f"INSERT INTO partner_tally (partner_id, clients, {', '.join(STATUSES)}) "
        f"SELECT c.partner_id, c.clients, {totals} "
        "FROM (SELECT partner_id, count(*) AS clients FROM walk_in_client GROUP BY partner_id) c "
        f"LEFT JOIN (SELECT partner_id, {per_status} FROM walk_in_mission GROUP BY partner_id) m "
        "ON m.partner_id = c.partner_id"
    )


def downgrade():
    # The pg_trgm extension stays: other objects of the database may use it, and it costs nothing.
    if postgresql():
        for column in TRGM_INDEXES:
            op.drop_index(f"ix_walk_in_client_{column}", table_name="walk_in_client")
            op.create_index(f"ix_walk_in_client_{column}", "walk_in_client", [column])
    else:
        for column in SQLITE_PARTNER_SEARCH:
            op.drop_index(f"ix_walk_in_client_partner_{column}", table_name="walk_in_client")
    with op.batch_alter_table('walk_in_mission', schema=None) as batch_op:
        batch_op.drop_index('ix_walk_in_mission_status')
        batch_op.drop_index('ix_walk_in_mission_partner_completed')
        batch_op.drop_index('ix_walk_in_mission_created')
        batch_op.drop_index('ix_walk_in_mission_completed')
        batch_op.drop_index('ix_walk_in_mission_partner_status')
        batch_op.create_index(batch_op.f('ix_walk_in_mission_partner_status'), ['partner_id', 'status'], unique=False)
        batch_op.drop_index('ix_walk_in_mission_client')
        batch_op.create_index(batch_op.f('ix_walk_in_mission_client'), ['client_id'], unique=False)
        batch_op.drop_index('ix_walk_in_mission_partner_created')
        batch_op.create_index(batch_op.f('ix_walk_in_mission_partner_created'), ['partner_id', 'created_at'], unique=False)

    with op.batch_alter_table('walk_in_client', schema=None) as batch_op:
        batch_op.drop_index('ix_walk_in_client_partner_last_name')
        batch_op.drop_index('ix_walk_in_client_last_name_key', postgresql_using='gin', postgresql_ops={'last_name_key': 'gin_trgm_ops'})
        batch_op.drop_index('ix_walk_in_client_first_name_key', postgresql_using='gin', postgresql_ops={'first_name_key': 'gin_trgm_ops'})
        batch_op.drop_index('ix_walk_in_client_created')
        batch_op.drop_index('ix_walk_in_client_partner_created')
        batch_op.create_index(batch_op.f('ix_walk_in_client_partner_created'), ['partner_id', 'created_at'], unique=False)
        batch_op.drop_index('ix_walk_in_client_city')
        batch_op.drop_index('ix_walk_in_client_partner_city')
        batch_op.drop_column('city_key')
        batch_op.drop_column('last_name_key')
        batch_op.drop_column('first_name_key')

    op.drop_table('partner_tally')
