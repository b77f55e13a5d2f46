"""audit log: the account each event concerns, and indexes for its list

The audit log is the one table that grows without bound: its list reads pages through indexes
in its order (newest first) for each of its filters (action, account, address), ending in ``id``
like the other lists. ``account_email`` names the account an event concerns (the one logging in,
created or changed; else the actor), filled here from the events already recorded.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01 21:00:00

"""
import json

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


BACKFILL_BATCH = 5_000


def concerned_account(actor_email, details):
    """``admin_app.platform.audit.concerned_account`` as of this revision, from the stored columns."""
    try:
        named = json.loads(details).get("email") if details else None
    except (ValueError, AttributeError):
        named = None
    email = named if isinstance(named, str) and named.strip() else actor_email
    return email.strip().lower() if email else None


def upgrade():
    with op.batch_alter_table('audit_event', schema=None) as batch_op:
        batch_op.add_column(sa.Column('account_email', sa.Text(), nullable=True))
    # The column first, its index after: filling an indexed column row by row updates the index.
    fill_account_emails()
    with op.batch_alter_table('audit_event', schema=None) as batch_op:
        batch_op.drop_index('ix_audit_event_at')
        batch_op.create_index('ix_audit_event_at', ['at', 'id'], unique=False)
        batch_op.drop_index('ix_audit_event_action')
        batch_op.create_index('ix_audit_event_action', ['action', 'at', 'id'], unique=False)
        batch_op.create_index('ix_audit_event_account', ['account_email', 'at', 'id'], unique=False)
        batch_op.create_index('ix_audit_event_address', ['address', 'at', 'id'], unique=False)


def fill_account_emails():
    """In batches of ids, so that a large log is never read whole into memory."""
    bind = op.get_bind()
    events = sa.table(
        "audit_event", sa.column("id"), sa.column("actor_email"), sa.column("details"),
        sa.column("account_email"),
    )
    change = (
        sa.update(events)
        .where(events.c.id == sa.bindparam("event_id"))
        .values(account_email=sa.bindparam("email"))
    )
    last_id = 0
    while True:
        rows = bind.execute(
            sa.select(events.c.id, events.c.actor_email, events.c.details)
            .where(events.c.id > last_id)
            .order_by(events.c.id)
            .limit(BACKFILL_BATCH)
        ).all()
        if not rows:
            return
        last_id = rows[-1].id
        emails = {id_: concerned_account(actor, details) for id_, actor, details in rows}
        filled = [{"event_id": id_, "email": email} for id_, email in emails.items() if email]
        if filled:
            bind.execute(change, filled)


def downgrade():
    with op.batch_alter_table('audit_event', schema=None) as batch_op:
        batch_op.drop_index('ix_audit_event_address')
        batch_op.drop_index('ix_audit_event_account')
        batch_op.drop_index('ix_audit_event_action')
        batch_op.create_index('ix_audit_event_action', ['action'], unique=False)
        batch_op.drop_index('ix_audit_event_at')
        batch_op.create_index('ix_audit_event_at', ['at'], unique=False)
        batch_op.drop_column('account_email')
