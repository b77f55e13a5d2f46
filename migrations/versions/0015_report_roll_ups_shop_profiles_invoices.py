"""report roll-ups, shop profiles, invoices

``report_day`` holds the reports' daily totals per partner, day and service type (filled by
``flask walkin recount``). ``walk_in_mission.first_visit`` marks each client's earliest
mission, filled here. ``shop_profile`` and ``shop_logo`` say who issues a shop's invoices;
``invoice`` and ``invoice_line`` hold issued invoices and credit notes, numbered through
``invoice_counter``. An invoice keeps its client and missions: their foreign keys refuse a
delete.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-05 17:14:27.568289

"""
from alembic import op
import sqlalchemy as sa
import admin_app.data.db_types  # noqa: F401  (autogenerate writes admin_app.data.db_types.UTCDateTime)


# revision identifiers, used by Alembic.
revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None


#: Each client's earliest mission (by opening time, then id) is its first visit.
FIRST_VISITS = sa.text(
    'UPDATE walk_in_mission SET first_visit = true WHERE id IN ('
    ' SELECT m.id FROM walk_in_mission m WHERE NOT EXISTS ('
    '  SELECT 1 FROM walk_in_mission e WHERE e.client_id = m.client_id AND'
    '  (e.created_at < m.created_at OR (e.created_at = m.created_at AND e.id < m.id))))'
)


def upgrade():
    op.create_table('invoice_counter',
    sa.Column('partner_id', sa.Integer(), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('last_number', sa.Integer(), server_default='0', nullable=False),
    sa.ForeignKeyConstraint(['partner_id'], ['user.id'], name=op.f('fk_invoice_counter_partner_id_user'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('partner_id', 'year', name=op.f('pk_invoice_counter'))
    )
    op.create_table('report_day',
    sa.Column('partner_id', sa.Integer(), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('service_type_id', sa.Integer(), nullable=False),
    sa.Column('opened', sa.Integer(), server_default='0', nullable=False),
    sa.Column('new_clients', sa.Integer(), server_default='0', nullable=False),
    sa.Column('started', sa.Integer(), server_default='0', nullable=False),
    sa.Column('completed', sa.Integer(), server_default='0', nullable=False),
    sa.Column('cancelled_client_left', sa.Integer(), server_default='0', nullable=False),
    sa.Column('cancelled_no_show', sa.Integer(), server_default='0', nullable=False),
    sa.Column('cancelled_duplicate', sa.Integer(), server_default='0', nullable=False),
    sa.Column('cancelled_other', sa.Integer(), server_default='0', nullable=False),
    sa.Column('revenue', sa.Numeric(precision=14, scale=2), server_default='0', nullable=False),
    sa.Column('wait_seconds', sa.Integer(), server_default='0', nullable=False),
    sa.Column('handled', sa.Integer(), server_default='0', nullable=False),
    sa.Column('handle_seconds', sa.Integer(), server_default='0', nullable=False),
    sa.Column('wait_b0', sa.Integer(), server_default='0', nullable=False),
    sa.Column('wait_b1', sa.Integer(), server_default='0', nullable=False),
    sa.Column('wait_b2', sa.Integer(), server_default='0', nullable=False),
    sa.Column('wait_b3', sa.Integer(), server_default='0', nullable=False),
    sa.Column('wait_b4', sa.Integer(), server_default='0', nullable=False),
    sa.Column('wait_b5', sa.Integer(), server_default='0', nullable=False),
    sa.Column('wait_b6', sa.Integer(), server_default='0', nullable=False),
    sa.Column('wait_b7', sa.Integer(), server_default='0', nullable=False),
    sa.Column('wait_b8', sa.Integer(), server_default='0', nullable=False),
    sa.Column('wait_b9', sa.Integer(), server_default='0', nullable=False),
    sa.Column('wait_b10', sa.Integer(), server_default='0', nullable=False),
    sa.Column('wait_b11', sa.Integer(), server_default='0', nullable=False),
    sa.Column('wait_b12', sa.Integer(), server_default='0', nullable=False),
    sa.Column('wait_b13', sa.Integer(), server_default='0', nullable=False),
    sa.Column('wait_b14', sa.Integer(), server_default='0', nullable=False),
    sa.Column('wait_b15', sa.Integer(), server_default='0', nullable=False),
    sa.Column('handle_b0', sa.Integer(), server_default='0', nullable=False),
    sa.Column('handle_b1', sa.Integer(), server_default='0', nullable=False),
    sa.Column('handle_b2', sa.Integer(), server_default='0', nullable=False),
    sa.Column('handle_b3', sa.Integer(), server_default='0', nullable=False),
    sa.Column('handle_b4', sa.Integer(), server_default='0', nullable=False),
    sa.Column('handle_b5', sa.Integer(), server_default='0', nullable=False),
    sa.Column('handle_b6', sa.Integer(), server_default='0', nullable=False),
    sa.Column('handle_b7', sa.Integer(), server_default='0', nullable=False),
    sa.Column('handle_b8', sa.Integer(), server_default='0', nullable=False),
    sa.Column('handle_b9', sa.Integer(), server_default='0', nullable=False),
    sa.Column('handle_b10', sa.Integer(), server_default='0', nullable=False),
    sa.Column('handle_b11', sa.Integer(), server_default='0', nullable=False),
    sa.Column('handle_b12', sa.Integer(), server_default='0', nullable=False),
    sa.Column('handle_b13', sa.Integer(), server_default='0', nullable=False),
    sa.Column('handle_b14', sa.Integer(), server_default='0', nullable=False),
    sa.Column('handle_b15', sa.Integer(), server_default='0', nullable=False),
    sa.ForeignKeyConstraint(['partner_id'], ['user.id'], name=op.f('fk_report_day_partner_id_user'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('partner_id', 'day', 'service_type_id', name=op.f('pk_report_day'))
    )
    op.create_table('shop_logo',
    sa.Column('id', sa.Text(), nullable=False),
    sa.Column('partner_id', sa.Integer(), nullable=False),
    sa.Column('media_type', sa.Text(), nullable=False),
    sa.Column('content', sa.LargeBinary(), nullable=False),
    sa.Column('created_at', admin_app.data.db_types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['partner_id'], ['user.id'], name=op.f('fk_shop_logo_partner_id_user'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_shop_logo'))
    )
    with op.batch_alter_table('shop_logo', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_shop_logo_partner_id'), ['partner_id'], unique=False)

    op.create_table('invoice',
    sa.Column('id', sa.Text(), nullable=False),
    sa.Column('partner_id', sa.Integer(), nullable=False),
    sa.Column('client_id', sa.Text(), nullable=False),
    sa.Column('kind', sa.Text(), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('issued_at', admin_app.data.db_types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('issued_by_id', sa.Integer(), nullable=True),
    sa.Column('credits_invoice_id', sa.Text(), nullable=True),
    sa.Column('credit_reason', sa.Text(), nullable=True),
    sa.Column('language', sa.Text(), nullable=False),
    sa.Column('currency', sa.Text(), nullable=False),
    sa.Column('vat_rate', sa.Numeric(precision=5, scale=2), nullable=False),
    sa.Column('total_net', sa.Numeric(precision=14, scale=2), nullable=False),
    sa.Column('total_vat', sa.Numeric(precision=14, scale=2), nullable=False),
    sa.Column('total_gross', sa.Numeric(precision=14, scale=2), nullable=False),
    sa.Column('seller_name', sa.Text(), nullable=False),
    sa.Column('seller_address', sa.Text(), nullable=False),
    sa.Column('seller_vat_number', sa.Text(), nullable=True),
    sa.Column('seller_footer', sa.Text(), nullable=True),
    sa.Column('logo_id', sa.Text(), nullable=True),
    sa.Column('buyer_name', sa.Text(), nullable=False),
    sa.Column('buyer_address', sa.Text(), nullable=True),
    sa.CheckConstraint("kind IN ('invoice', 'credit_note')", name=op.f('ck_invoice_kind')),
    sa.CheckConstraint('number > 0', name=op.f('ck_invoice_number_positive')),
    sa.ForeignKeyConstraint(['client_id'], ['walk_in_client.id'], name=op.f('fk_invoice_client_id_walk_in_client'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['credits_invoice_id'], ['invoice.id'], name=op.f('fk_invoice_credits_invoice_id_invoice'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['issued_by_id'], ['user.id'], name=op.f('fk_invoice_issued_by_id_user'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['logo_id'], ['shop_logo.id'], name=op.f('fk_invoice_logo_id_shop_logo'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['partner_id'], ['user.id'], name=op.f('fk_invoice_partner_id_user'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_invoice')),
    sa.UniqueConstraint('credits_invoice_id', name=op.f('uq_invoice_credits_invoice_id')),
    sa.UniqueConstraint('partner_id', 'year', 'number', name='uq_invoice_partner_year_number')
    )
    with op.batch_alter_table('invoice', schema=None) as batch_op:
        batch_op.create_index('ix_invoice_client', ['client_id', 'issued_at'], unique=False)
        batch_op.create_index('ix_invoice_issued', ['issued_at', 'id'], unique=False)
        batch_op.create_index('ix_invoice_partner_issued', ['partner_id', 'issued_at', 'id'], unique=False)

    op.create_table('shop_profile',
    sa.Column('partner_id', sa.Integer(), nullable=False),
    sa.Column('legal_name', sa.Text(), nullable=False),
    sa.Column('address', sa.Text(), nullable=False),
    sa.Column('vat_number', sa.Text(), nullable=True),
    sa.Column('invoice_footer', sa.Text(), nullable=True),
    sa.Column('logo_id', sa.Text(), nullable=True),
    sa.Column('updated_at', admin_app.data.db_types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('version', sa.Integer(), server_default='1', nullable=False),
    sa.ForeignKeyConstraint(['logo_id'], ['shop_logo.id'], name=op.f('fk_shop_profile_logo_id_shop_logo'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['partner_id'], ['user.id'], name=op.f('fk_shop_profile_partner_id_user'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('partner_id', name=op.f('pk_shop_profile'))
    )
    op.create_table('invoice_line',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('invoice_id', sa.Text(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('mission_id', sa.Text(), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('net', sa.Numeric(precision=14, scale=2), nullable=False),
    sa.Column('vat', sa.Numeric(precision=14, scale=2), nullable=False),
    sa.Column('gross', sa.Numeric(precision=14, scale=2), nullable=False),
    sa.ForeignKeyConstraint(['invoice_id'], ['invoice.id'], name=op.f('fk_invoice_line_invoice_id_invoice'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['mission_id'], ['walk_in_mission.id'], name=op.f('fk_invoice_line_mission_id_walk_in_mission'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_invoice_line')),
    sa.UniqueConstraint('invoice_id', 'position', name='uq_invoice_line_position')
    )
    with op.batch_alter_table('invoice_line', schema=None) as batch_op:
        batch_op.create_index('ix_invoice_line_mission', ['mission_id'], unique=False)

    with op.batch_alter_table('walk_in_mission', schema=None) as batch_op:
        batch_op.add_column(sa.Column('first_visit', sa.Boolean(), server_default=sa.text('false'), nullable=False))
        batch_op.create_index('ix_walk_in_mission_partner_started', ['partner_id', 'started_at'], unique=False)
        batch_op.create_index('ix_walk_in_mission_started', ['started_at'], unique=False)
    op.execute(FIRST_VISITS)


def downgrade():
    with op.batch_alter_table('walk_in_mission', schema=None) as batch_op:
        batch_op.drop_index('ix_walk_in_mission_started')
        batch_op.drop_index('ix_walk_in_mission_partner_started')
        batch_op.drop_column('first_visit')

    with op.batch_alter_table('invoice_line', schema=None) as batch_op:
        batch_op.drop_index('ix_invoice_line_mission')

    op.drop_table('invoice_line')
    op.drop_table('shop_profile')
    with op.batch_alter_table('invoice', schema=None) as batch_op:
        batch_op.drop_index('ix_invoice_partner_issued')
        batch_op.drop_index('ix_invoice_issued')
        batch_op.drop_index('ix_invoice_client')

    op.drop_table('invoice')
    with op.batch_alter_table('shop_logo', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_shop_logo_partner_id'))

    op.drop_table('shop_logo')
    op.drop_table('report_day')
    op.drop_table('invoice_counter')
