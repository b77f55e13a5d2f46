"""initial schema

Revision ID: 0001
Revises: 
Create Date: 2026-11-25 06:33:34.686996

"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
import flask_security  # noqa: F401  (autogenerate writes flask_security.AsaList)
import admin_app.data.db_types  # noqa: F401  (autogenerate writes admin_app.data.db_types.UTCDateTime)


# revision identifiers, used by Alembic.
revision = '0001'
down_revision = None
branch_labels = None
depends_on = None

STATUSES = ('pending', 'in_progress', 'completed', 'cancelled')
# The native PostgreSQL type is created once, explicitly; each table would otherwise try again.
native_mission_status = postgresql.ENUM(*STATUSES, name='mission_status', create_type=False)
mission_status = sa.Enum(*STATUSES, name='mission_status', create_constraint=True).with_variant(
    native_mission_status, 'postgresql'
)


def upgrade():
    native_mission_status.create(op.get_bind(), checkfirst=True)
    op.create_table('role',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=80), nullable=False),
    sa.Column('description', sa.String(length=255), nullable=True),
    sa.Column('permissions', flask_security.datastore.AsaList(), nullable=True),
    sa.Column('update_datetime', sa.DateTime(), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_role')),
    sa.UniqueConstraint('name', name=op.f('uq_role_name'))
    )
    op.create_table('user',
    sa.Column('fs_webauthn_user_handle', sa.String(length=64), nullable=True),
    sa.Column('mf_recovery_codes', flask_security.datastore.AsaList(), nullable=True),
    sa.Column('password', sa.String(length=255), nullable=True),
    sa.Column('us_phone_number', sa.String(length=128), nullable=True),
    sa.Column('username', sa.String(length=255), nullable=True),
    sa.Column('us_totp_secrets', sa.Text(), nullable=True),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('email', sa.String(length=255), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('fs_uniquifier', sa.String(length=64), nullable=False),
    sa.Column('confirmed_at', sa.DateTime(), nullable=True),
    sa.Column('last_login_at', sa.DateTime(), nullable=True),
    sa.Column('current_login_at', sa.DateTime(), nullable=True),
    sa.Column('last_login_ip', sa.String(length=64), nullable=True),
    sa.Column('current_login_ip', sa.String(length=64), nullable=True),
    sa.Column('login_count', sa.Integer(), nullable=True),
    sa.Column('tf_primary_method', sa.String(length=64), nullable=True),
    sa.Column('tf_totp_secret', sa.String(length=255), nullable=True),
    sa.Column('tf_phone_number', sa.String(length=128), nullable=True),
    sa.Column('create_datetime', sa.DateTime(), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.Column('update_datetime', sa.DateTime(), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_user')),
    sa.UniqueConstraint('email', name=op.f('uq_user_email')),
    sa.UniqueConstraint('fs_uniquifier', name=op.f('uq_user_fs_uniquifier')),
    sa.UniqueConstraint('fs_webauthn_user_handle', name=op.f('uq_user_fs_webauthn_user_handle')),
    sa.UniqueConstraint('us_phone_number', name=op.f('uq_user_us_phone_number')),
    sa.UniqueConstraint('username', name=op.f('uq_user_username'))
    )
    op.create_table('roles_users',
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('role_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['role_id'], ['role.id'], name=op.f('fk_roles_users_role_id_role')),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_roles_users_user_id_user'))
    )
    op.create_table('walk_in_client',
    sa.Column('id', sa.Text(), nullable=False),
    sa.Column('first_name', sa.Text(), nullable=False),
    sa.Column('last_name', sa.Text(), nullable=False),
    sa.Column('email', sa.Text(), nullable=False),
    sa.Column('phone', sa.Text(), nullable=False),
    sa.Column('address', sa.Text(), nullable=True),
    sa.Column('city', sa.Text(), nullable=True),
    sa.Column('postal_code', sa.Text(), nullable=True),
    sa.Column('country', sa.Text(), nullable=True),
    sa.Column('created_at', admin_app.data.db_types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', admin_app.data.db_types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('partner_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['partner_id'], ['user.id'], name=op.f('fk_walk_in_client_partner_id_user'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_walk_in_client'))
    )
    with op.batch_alter_table('walk_in_client', schema=None) as batch_op:
        batch_op.create_index('ix_walk_in_client_email', ['email'], unique=False)
        batch_op.create_index('ix_walk_in_client_last_name', ['last_name'], unique=False)
        batch_op.create_index('ix_walk_in_client_partner_created', ['partner_id', 'created_at'], unique=False)
        batch_op.create_index('ix_walk_in_client_phone', ['phone'], unique=False)

    op.create_table('walk_in_mission',
    sa.Column('id', sa.Text(), nullable=False),
    sa.Column('client_id', sa.Text(), nullable=False),
    sa.Column('partner_id', sa.Integer(), nullable=False),
    sa.Column('status', mission_status, server_default='pending', nullable=False),
    sa.Column('notes', sa.Text(), nullable=True),
    sa.Column('created_at', admin_app.data.db_types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', admin_app.data.db_types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('completed_at', admin_app.data.db_types.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['client_id'], ['walk_in_client.id'], name=op.f('fk_walk_in_mission_client_id_walk_in_client'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['partner_id'], ['user.id'], name=op.f('fk_walk_in_mission_partner_id_user'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_walk_in_mission'))
    )
    with op.batch_alter_table('walk_in_mission', schema=None) as batch_op:
        batch_op.create_index('ix_walk_in_mission_client', ['client_id'], unique=False)
        batch_op.create_index('ix_walk_in_mission_partner_created', ['partner_id', 'created_at'], unique=False)
        batch_op.create_index('ix_walk_in_mission_partner_status', ['partner_id', 'status'], unique=False)

    op.create_table('mission_event',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('mission_id', sa.Text(), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('from_status', mission_status, nullable=True),
    sa.Column('to_status', mission_status, nullable=False),
    sa.Column('at', admin_app.data.db_types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['actor_id'], ['user.id'], name=op.f('fk_mission_event_actor_id_user'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['mission_id'], ['walk_in_mission.id'], name=op.f('fk_mission_event_mission_id_walk_in_mission'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_mission_event'))
    )
    with op.batch_alter_table('mission_event', schema=None) as batch_op:
        batch_op.create_index('ix_mission_event_mission_at', ['mission_id', 'at'], unique=False)



def downgrade():
    with op.batch_alter_table('mission_event', schema=None) as batch_op:
        batch_op.drop_index('ix_mission_event_mission_at')

    op.drop_table('mission_event')
    with op.batch_alter_table('walk_in_mission', schema=None) as batch_op:
        batch_op.drop_index('ix_walk_in_mission_partner_status')
        batch_op.drop_index('ix_walk_in_mission_partner_created')
        batch_op.drop_index('ix_walk_in_mission_client')

    op.drop_table('walk_in_mission')
    with op.batch_alter_table('walk_in_client', schema=None) as batch_op:
        batch_op.drop_index('ix_walk_in_client_phone')
        batch_op.drop_index('ix_walk_in_client_partner_created')
        batch_op.drop_index('ix_walk_in_client_last_name')
        batch_op.drop_index('ix_walk_in_client_email')

    op.drop_table('walk_in_client')
    op.drop_table('roles_users')
    op.drop_table('user')
    op.drop_table('role')
    native_mission_status.drop(op.get_bind(), checkfirst=True)
