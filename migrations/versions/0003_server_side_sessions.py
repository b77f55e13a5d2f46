"""server-side sessions

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25 07:24:21.185813

"""
from alembic import op
import sqlalchemy as sa
import flask_security  # noqa: F401  (autogenerate writes flask_security.AsaList)
import admin_app.data.db_types  # noqa: F401  (autogenerate writes admin_app.data.db_types.UTCDateTime)


# revision identifiers, used by Alembic.
revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('web_session',
    sa.Column('id', sa.Text(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('data', sa.Text(), nullable=False),
    sa.Column('created_at', admin_app.data.db_types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('last_seen_at', admin_app.data.db_types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_web_session_user_id_user'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_web_session'))
    )
    with op.batch_alter_table('web_session', schema=None) as batch_op:
        batch_op.create_index('ix_web_session_last_seen', ['last_seen_at'], unique=False)
        batch_op.create_index('ix_web_session_user', ['user_id'], unique=False)



def downgrade():
    with op.batch_alter_table('web_session', schema=None) as batch_op:
        batch_op.drop_index('ix_web_session_user')
        batch_op.drop_index('ix_web_session_last_seen')

    op.drop_table('web_session')
