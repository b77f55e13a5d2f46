"""duplicate check indexes; missions' merge history

The duplicate check looks for one partner's clients with a phone, an email, or name keys in a
city: B-trees prefixed by the partner on PostgreSQL too (SQLite had the phone and email ones
for search since 0004), and two partner + city + names indexes. Client emails are stored
lower-cased (validation); rows written otherwise are lower-cased here so equality is
case-insensitive. ``mission_merge`` records each mission moved by a merge of two clients.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-02 01:00:00

"""
from alembic import op
import sqlalchemy as sa
import admin_app.data.db_types  # noqa: F401  (autogenerate writes admin_app.data.db_types.UTCDateTime)


# revision identifiers, used by Alembic.
revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None

NAME_INDEXES = {
    'ix_walk_in_client_partner_city_last_first':
        ['partner_id', 'city_key', 'last_name_key', 'first_name_key', 'id'],
    'ix_walk_in_client_partner_city_first_last':
        ['partner_id', 'city_key', 'first_name_key', 'last_name_key', 'id'],
}


def on_postgresql():
    return op.get_bind().dialect.name == 'postgresql'


def upgrade():
    op.execute("UPDATE walk_in_client SET email = lower(email) WHERE email <> lower(email)")
    if on_postgresql():
        for column in ('email', 'phone'):
            op.create_index(
                f'ix_walk_in_client_partner_{column}', 'walk_in_client', ['partner_id', column]
            )
    for name, columns in NAME_INDEXES.items():
        op.create_index(name, 'walk_in_client', columns)
    op.create_table('mission_merge',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('mission_id', sa.Text(), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('at', admin_app.data.db_types.UTCDateTime(), nullable=False),
    sa.Column('from_client_id', sa.Text(), nullable=False),
    sa.Column('from_client_name', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['actor_id'], ['user.id'], name=op.f('fk_mission_merge_actor_id_user'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['mission_id'], ['walk_in_mission.id'], name=op.f('fk_mission_merge_mission_id_walk_in_mission'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_mission_merge'))
    )
    op.create_index('ix_mission_merge_mission_at', 'mission_merge', ['mission_id', 'at'])


def downgrade():
    op.drop_index('ix_mission_merge_mission_at', table_name='mission_merge')
    op.drop_table('mission_merge')
    for name in NAME_INDEXES:
        op.drop_index(name, table_name='walk_in_client')
    if on_postgresql():
        for column in ('email', 'phone'):
            op.drop_index(f'ix_walk_in_client_partner_{column}', table_name='walk_in_client')
