"""consent, the outbox and notifications: what a client hears and a shop is told

``client_consent`` holds each period of a client's consent per channel (given when, by whom;
withdrawn when, how), at most one in force per client and channel. ``outbox_message`` holds
the messages to send, written in the transaction of the change they tell of; ``notification``
the shop's notifications. A client's language, a partner's shop name and language, and a
shop's count of unread notifications are new columns. Every new row goes with its client.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-05 09:00:00

"""
from contextlib import contextmanager

from alembic import op
import sqlalchemy as sa
import admin_app.data.db_types  # noqa: F401  (autogenerate writes admin_app.data.db_types.UTCDateTime)


# revision identifiers, used by Alembic.
revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None

IN_FORCE = sa.text('withdrawn_at IS NULL')
EMAIL_INDEX = 'uq_user_email_lower'


def upgrade():
    with op.batch_alter_table('walk_in_client') as batch_op:
        batch_op.add_column(sa.Column('language', sa.Text(), server_default='en', nullable=False))
    with email_index_kept(), op.batch_alter_table('user') as batch_op:
        batch_op.add_column(sa.Column('shop_name', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('language', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('unread_notifications', sa.Integer(), server_default='0', nullable=False))
    op.create_table('client_consent',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('client_id', sa.Text(), nullable=False),
    sa.Column('channel', sa.Text(), nullable=False),
    sa.Column('given_at', admin_app.data.db_types.UTCDateTime(), nullable=False),
    sa.Column('given_by_id', sa.Integer(), nullable=True),
    sa.Column('given_by_email', sa.Text(), nullable=True),
    sa.Column('withdrawn_at', admin_app.data.db_types.UTCDateTime(), nullable=True),
    sa.Column('withdrawn_via', sa.Text(), nullable=True),
    sa.Column('withdrawn_by_email', sa.Text(), nullable=True),
    sa.CheckConstraint("channel IN ('email', 'sms')", name=op.f('ck_client_consent_channel')),
    sa.CheckConstraint("withdrawn_via IN ('panel', 'link')", name=op.f('ck_client_consent_withdrawn_via')),
    sa.ForeignKeyConstraint(['client_id'], ['walk_in_client.id'], name=op.f('fk_client_consent_client_id_walk_in_client'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['given_by_id'], ['user.id'], name=op.f('fk_client_consent_given_by_id_user'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_client_consent'))
    )
    op.create_index('uq_client_consent_in_force', 'client_consent', ['client_id', 'channel'], unique=True, sqlite_where=IN_FORCE, postgresql_where=IN_FORCE)
    op.create_index('ix_client_consent_client', 'client_consent', ['client_id', 'given_at', 'id'])
    op.create_table('outbox_message',
    sa.Column('id', sa.Text(), nullable=False),
    sa.Column('partner_id', sa.Integer(), nullable=False),
    sa.Column('client_id', sa.Text(), nullable=False),
    sa.Column('mission_id', sa.Text(), nullable=True),
    sa.Column('channel', sa.Text(), nullable=False),
    sa.Column('event', sa.Text(), nullable=False),
    sa.Column('status', sa.Text(), nullable=False),
    sa.Column('attempts', sa.Integer(), server_default='0', nullable=False),
    sa.Column('created_at', admin_app.data.db_types.UTCDateTime(), nullable=False),
    sa.Column('next_attempt_at', admin_app.data.db_types.UTCDateTime(), nullable=False),
    sa.Column('sent_at', admin_app.data.db_types.UTCDateTime(), nullable=True),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.CheckConstraint("channel IN ('email', 'sms')", name=op.f('ck_outbox_message_channel')),
    sa.CheckConstraint("event IN ('opened', 'started', 'completed', 'cancelled')", name=op.f('ck_outbox_message_event')),
    sa.CheckConstraint("status IN ('pending', 'sent', 'failed', 'withdrawn')", name=op.f('ck_outbox_message_status')),
    sa.ForeignKeyConstraint(['client_id'], ['walk_in_client.id'], name=op.f('fk_outbox_message_client_id_walk_in_client'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['mission_id'], ['walk_in_mission.id'], name=op.f('fk_outbox_message_mission_id_walk_in_mission'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['partner_id'], ['user.id'], name=op.f('fk_outbox_message_partner_id_user'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_outbox_message'))
    )
    op.create_index('ix_outbox_message_due', 'outbox_message', ['status', 'next_attempt_at'])
    op.create_index('ix_outbox_message_partner', 'outbox_message', ['partner_id', 'status', 'created_at', 'id'])
    op.create_index('ix_outbox_message_status_created', 'outbox_message', ['status', 'created_at', 'id'])
    op.create_index('ix_outbox_message_client', 'outbox_message', ['client_id', 'created_at'])
    op.create_index('ix_outbox_message_mission', 'outbox_message', ['mission_id'])
    op.create_table('notification',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('partner_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.Text(), nullable=False),
    sa.Column('client_id', sa.Text(), nullable=True),
    sa.Column('mission_id', sa.Text(), nullable=True),
    sa.Column('outbox_id', sa.Text(), nullable=True),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('actor_email', sa.Text(), nullable=True),
    sa.Column('created_at', admin_app.data.db_types.UTCDateTime(), nullable=False),
    sa.Column('read_at', admin_app.data.db_types.UTCDateTime(), nullable=True),
    sa.CheckConstraint("kind IN ('mission_opened', 'message_failed')", name=op.f('ck_notification_kind')),
    sa.ForeignKeyConstraint(['actor_id'], ['user.id'], name=op.f('fk_notification_actor_id_user'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['client_id'], ['walk_in_client.id'], name=op.f('fk_notification_client_id_walk_in_client'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['mission_id'], ['walk_in_mission.id'], name=op.f('fk_notification_mission_id_walk_in_mission'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['outbox_id'], ['outbox_message.id'], name=op.f('fk_notification_outbox_id_outbox_message'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['partner_id'], ['user.id'], name=op.f('fk_notification_partner_id_user'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_notification'))
    )
    op.create_index('ix_notification_partner_created', 'notification', ['partner_id', 'created_at', 'id'])
    op.create_index('ix_notification_created', 'notification', ['created_at', 'id'])
    op.create_index('ix_notification_client', 'notification', ['client_id'])
    op.create_index('ix_notification_mission', 'notification', ['mission_id'])


def downgrade():
    op.drop_table('notification')
    op.drop_table('outbox_message')
    op.drop_table('client_consent')
    with email_index_kept(), op.batch_alter_table('user') as batch_op:
        batch_op.drop_column('unread_notifications')
        batch_op.drop_column('language')
        batch_op.drop_column('shop_name')
    with op.batch_alter_table('walk_in_client') as batch_op:
        batch_op.drop_column('language')


@contextmanager
def email_index_kept():
    """SQLite's batch mode may copy the table but cannot copy an index on an expression
    (``lower(email)``): it is dropped before and made again after (as in 0010)."""
    on_sqlite = op.get_bind().dialect.name == 'sqlite'
    if on_sqlite:
        op.drop_index(EMAIL_INDEX, table_name='user')
    yield
    if on_sqlite:
        op.create_index(EMAIL_INDEX, 'user', [sa.text('lower(email)')], unique=True)
