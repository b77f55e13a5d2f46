"""newest missions index names each mission's client

An admin's search for a common name reads the newest missions in order and looks up each one's
client: with ``client_id`` in the index, that scan never reads the missions table.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-25 13:30:00

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade():
    op.drop_index('ix_walk_in_mission_created', table_name='walk_in_mission')
    op.create_index('ix_walk_in_mission_created', 'walk_in_mission', ['created_at', 'id', 'client_id'])


def downgrade():
    op.drop_index('ix_walk_in_mission_created', table_name='walk_in_mission')
    op.create_index('ix_walk_in_mission_created', 'walk_in_mission', ['created_at', 'id'])
