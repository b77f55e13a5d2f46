"""service types: the catalogue, and each mission's type with the price copied when opened

Creates ``service_type`` with one default type ("Walk-in visit" / "Visite sans rendez-vous",
0.00 EUR), gives every existing mission that type and its price, and indexes the missions'
service type filter (alone and within a partner's rows, newest first).

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02 01:00:00

"""
from decimal import Decimal

import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None

MONEY = sa.Numeric(12, 2)
MISSIONS = sa.table(
    'walk_in_mission',
    sa.column('service_type_id', sa.Integer),
    sa.column('price_amount', MONEY),
    sa.column('price_currency', sa.Text),
)
DEFAULT_TYPE = {
    'name_en': 'Walk-in visit',
    'name_fr': 'Visite sans rendez-vous',
    'description': None,
    'price_amount': Decimal('0.00'),
    'price_currency': 'EUR',
    'duration_minutes': 15,
    'active': True,
}


def upgrade():
    service_type = op.create_table('service_type',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name_en', sa.Text(), nullable=False),
    sa.Column('name_fr', sa.Text(), nullable=False),
    sa.Column('description', sa.Text(), nullable=True),
    sa.Column('price_amount', MONEY, nullable=False),
    sa.Column('price_currency', sa.Text(), server_default='EUR', nullable=False),
    sa.Column('duration_minutes', sa.Integer(), server_default='15', nullable=False),
    sa.Column('active', sa.Boolean(), server_default=sa.text('true'), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_service_type'))
    )
    with op.batch_alter_table('walk_in_mission', schema=None) as batch_op:
        batch_op.add_column(sa.Column('service_type_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('price_amount', MONEY, nullable=True))
        batch_op.add_column(sa.Column('price_currency', sa.Text(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f('fk_walk_in_mission_service_type_id_service_type'),
            'service_type', ['service_type_id'], ['id'], ondelete='RESTRICT',
        )
    op.bulk_insert(service_type, [DEFAULT_TYPE])
    give_existing_missions_the_default_type()
    with op.batch_alter_table('walk_in_mission', schema=None) as batch_op:
        batch_op.create_index(
            'ix_walk_in_mission_partner_service',
            ['partner_id', 'service_type_id', 'created_at', 'id'], unique=False,
        )
        batch_op.create_index(
            'ix_walk_in_mission_service', ['service_type_id', 'created_at', 'id'], unique=False
        )


def give_existing_missions_the_default_type():
    connection = op.get_bind()
    default_id = connection.execute(sa.text('SELECT min(id) FROM service_type')).scalar()
    connection.execute(
        MISSIONS.update().values(
            service_type_id=default_id,
            price_amount=DEFAULT_TYPE['price_amount'],
            price_currency=DEFAULT_TYPE['price_currency'],
        )
    )


def downgrade():
    with op.batch_alter_table('walk_in_mission', schema=None) as batch_op:
        batch_op.drop_index('ix_walk_in_mission_service')
        batch_op.drop_index('ix_walk_in_mission_partner_service')
        batch_op.drop_constraint(
            batch_op.f('fk_walk_in_mission_service_type_id_service_type'), type_='foreignkey'
        )
        batch_op.drop_column('price_currency')
        batch_op.drop_column('price_amount')
        batch_op.drop_column('service_type_id')
    op.drop_table('service_type')
