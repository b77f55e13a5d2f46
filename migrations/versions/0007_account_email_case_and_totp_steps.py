"""account emails unique whatever their case; the last authenticator step used per account

Emails are lower-cased (two accounts that differ only by case stop the upgrade: merge or rename
one first), then a unique index on ``lower(email)`` keeps them so.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-26 09:00:00

"""
from collections import defaultdict

import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None

USERS = sa.table('user', sa.column('id', sa.Integer), sa.column('email', sa.Text))


def upgrade():
    lower_case_emails()
    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.add_column(sa.Column('tf_totp_last_step', sa.Integer(), nullable=True))
    op.create_index('uq_user_email_lower', 'user', [sa.text('lower(email)')], unique=True)


def downgrade():
    op.drop_index('uq_user_email_lower', table_name='user')
    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.drop_column('tf_totp_last_step')


def lower_case_emails():
    connection = op.get_bind()
    by_lower = defaultdict(list)
    for user_id, email in connection.execute(sa.select(USERS.c.id, USERS.c.email)):
        by_lower[email.lower()].append((user_id, email))
    clashes = [sorted(e for _, e in accounts) for accounts in by_lower.values() if len(accounts) > 1]
    if clashes:
        raise RuntimeError(
            f'accounts whose emails differ only by case: {clashes}; merge or rename them first'
        )
    for lowered, [(user_id, email)] in by_lower.items():
        if email != lowered:
            connection.execute(USERS.update().where(USERS.c.id == user_id).values(email=lowered))
