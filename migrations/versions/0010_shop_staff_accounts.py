"""staff accounts: each staff account's shop (``user.shop_id``)

The role ``staff`` itself is created like the others, by ``flask walkin roles``.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-02 01:00:00

"""
from contextlib import contextmanager

import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


EMAIL_INDEX = 'uq_user_email_lower'


def upgrade():
    with email_index_kept():
        with op.batch_alter_table('user', schema=None) as batch_op:
            batch_op.add_column(sa.Column('shop_id', sa.Integer(), nullable=True))
            batch_op.create_foreign_key(
                batch_op.f('fk_user_shop_id_user'), 'user', ['shop_id'], ['id'], ondelete='CASCADE'
            )
            batch_op.create_index('ix_user_shop_id', ['shop_id'], unique=False)


def downgrade():
    """Staff accounts stay, without a shop: the code of 0007 gives the role no rows."""
    with email_index_kept():
        with op.batch_alter_table('user', schema=None) as batch_op:
            batch_op.drop_index('ix_user_shop_id')
            batch_op.drop_constraint(batch_op.f('fk_user_shop_id_user'), type_='foreignkey')
            batch_op.drop_column('shop_id')


@contextmanager
def email_index_kept():
    """SQLite's batch mode copies the table but cannot copy an index on an expression
    (``lower(email)``): it is dropped before and made again after."""
    on_sqlite = op.get_bind().dialect.name == 'sqlite'
    if on_sqlite:
        op.drop_index(EMAIL_INDEX, table_name='user')
    yield
    if on_sqlite:
        op.create_index(EMAIL_INDEX, 'user', [sa.text('lower(email)')], unique=True)
