"""client search keys: a search finds any word of a name, any part of an email, a phone's end

``client_search_key`` holds what each client is found by (``admin_app.data.search_keys``): the
tails of its names and email from each word, its phone and its phone's digits reversed. Both
databases search it the same way (prefix ranges on B-trees), so the per-column search indexes
(pg_trgm on PostgreSQL, B-trees on SQLite) are dropped. Existing clients' keys are filled in
batches, before the key indexes are built.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-05 05:30:00

"""
from alembic import op
import sqlalchemy as sa

from admin_app.data.search_keys import client_search_keys


# revision identifiers, used by Alembic.
revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None

BACKFILL_BATCH = 5_000
KEY_INDEXES = {
    'ix_client_search_key_key': ['key', 'client_id'],
    'ix_client_search_key_partner': ['partner_id', 'key', 'client_id'],
}
#: The search indexes of revision 0004 (SQLite's partner ones for email and phone stay: the
#: duplicate check reads them).
COLUMN_SEARCH = ('first_name_key', 'last_name_key', 'email', 'phone')
SQLITE_PARTNER_SEARCH = ('first_name_key', 'last_name_key')


def on_postgresql():
    return op.get_bind().dialect.name == 'postgresql'


def upgrade():
    key_type = sa.Text(collation='C') if on_postgresql() else sa.Text()
    op.create_table('client_search_key',
    sa.Column('client_id', sa.Text(), nullable=False),
    sa.Column('key', key_type, nullable=False),
    sa.Column('partner_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['client_id'], ['walk_in_client.id'], name=op.f('fk_client_search_key_client_id_walk_in_client'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('client_id', 'key', name=op.f('pk_client_search_key')),
    sqlite_with_rowid=False,
    )
    fill_keys()
    for name, columns in KEY_INDEXES.items():
        op.create_index(name, 'client_search_key', columns)
    for column in COLUMN_SEARCH:
        op.drop_index(f'ix_walk_in_client_{column}', table_name='walk_in_client')
    if not on_postgresql():
        for column in SQLITE_PARTNER_SEARCH:
            op.drop_index(f'ix_walk_in_client_partner_{column}', table_name='walk_in_client')


def fill_keys():
    """Every client's keys, a batch of clients at a time in the order of their ids."""
    bind = op.get_bind()
    clients = sa.table(
        'walk_in_client', sa.column('id'), sa.column('partner_id'), sa.column('first_name'),
        sa.column('last_name'), sa.column('email'), sa.column('phone'),
    )
    keys = sa.table('client_search_key', sa.column('client_id'), sa.column('partner_id'),
                    sa.column('key'))
    after = ''
    while True:
        batch = bind.execute(
            sa.select(clients).where(clients.c.id > after).order_by(clients.c.id)
            .limit(BACKFILL_BATCH)
        ).all()
        if not batch:
            return
        rows = [
            {'client_id': row.id, 'partner_id': row.partner_id, 'key': key}
            for row in batch
            for key in client_search_keys(row.first_name, row.last_name, row.email, row.phone)
        ]
        if rows:
            bind.execute(sa.insert(keys), rows)
        after = batch[-1].id


def downgrade():
    if on_postgresql():
        for column in COLUMN_SEARCH:
            op.create_index(
                f'ix_walk_in_client_{column}', 'walk_in_client', [column],
                postgresql_using='gin', postgresql_ops={column: 'gin_trgm_ops'},
            )
    else:
        for column in COLUMN_SEARCH:
            op.create_index(f'ix_walk_in_client_{column}', 'walk_in_client', [column])
        for column in SQLITE_PARTNER_SEARCH:
            op.create_index(
                f'ix_walk_in_client_partner_{column}', 'walk_in_client', ['partner_id', column]
            )
    for name in KEY_INDEXES:
        op.drop_index(name, table_name='client_search_key')
    op.drop_table('client_search_key')
