"""mission attachments: their descriptions and, by default, their bytes

``mission_attachment`` lists the documents and photos of a mission (name, type read from the
content, size, who uploaded them, when, where the bytes are); ``attachment_blob`` holds the
bytes when they are kept in the database (the default): the re-encoded file and its thumbnail.
Both go with their mission (ON DELETE CASCADE), hence with its client and partner.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-05 05:30:00

"""
from alembic import op
import sqlalchemy as sa
import admin_app.data.db_types  # noqa: F401  (autogenerate writes admin_app.data.db_types.UTCDateTime)


# revision identifiers, used by Alembic.
revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('mission_attachment',
    sa.Column('id', sa.Text(), nullable=False),
    sa.Column('mission_id', sa.Text(), nullable=False),
    sa.Column('file_name', sa.Text(), nullable=False),
    sa.Column('media_type', sa.Text(), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('thumbnail_type', sa.Text(), nullable=True),
    sa.Column('stored_in', sa.Text(), nullable=False),
    sa.Column('uploaded_by_id', sa.Integer(), nullable=True),
    sa.Column('uploaded_by_email', sa.Text(), nullable=True),
    sa.Column('uploaded_at', admin_app.data.db_types.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['mission_id'], ['walk_in_mission.id'], name=op.f('fk_mission_attachment_mission_id_walk_in_mission'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['uploaded_by_id'], ['user.id'], name=op.f('fk_mission_attachment_uploaded_by_id_user'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_mission_attachment'))
    )
    op.create_index('ix_mission_attachment_mission_at', 'mission_attachment', ['mission_id', 'uploaded_at', 'id'])
    op.create_table('attachment_blob',
    sa.Column('attachment_id', sa.Text(), nullable=False),
    sa.Column('kind', sa.Text(), nullable=False),
    sa.Column('data', sa.LargeBinary(), nullable=False),
    sa.ForeignKeyConstraint(['attachment_id'], ['mission_attachment.id'], name=op.f('fk_attachment_blob_attachment_id_mission_attachment'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('attachment_id', 'kind', name=op.f('pk_attachment_blob'))
    )


def downgrade():
    op.drop_table('attachment_blob')
    op.drop_index('ix_mission_attachment_mission_at', table_name='mission_attachment')
    op.drop_table('mission_attachment')
