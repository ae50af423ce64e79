"""webhooks: the queue.backlog event (deliveries without a decision) and its alert state

Revision ID: 20261130_queue_backlog_webhook
Revises: 20261130_sites_webhooks
Create Date: 2026-11-30 07:15:00
"""
from alembic import op
import sqlalchemy as sa


revision = '20261130_queue_backlog_webhook'
down_revision = '20261130_sites_webhooks'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # A queue.backlog delivery belongs to no decision and no comment.
    with op.batch_alter_table('webhook_deliveries', schema=None) as batch_op:
        batch_op.alter_column('decision_id', existing_type=sa.Integer(), nullable=True)
        batch_op.alter_column('comment_id', existing_type=sa.String(length=24), nullable=True)
    alerts = op.create_table('webhook_alerts',
    sa.Column('name', sa.String(length=32), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('crossings', sa.Integer(), nullable=False),
    sa.Column('changed_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('name'),
    )
    op.bulk_insert(alerts, [{'name': 'queue.backlog', 'active': False, 'crossings': 0}])


def downgrade() -> None:
    op.drop_table('webhook_alerts')
    op.execute("DELETE FROM webhook_deliveries WHERE decision_id IS NULL OR comment_id IS NULL")
    with op.batch_alter_table('webhook_deliveries', schema=None) as batch_op:
        batch_op.alter_column('comment_id', existing_type=sa.String(length=24), nullable=False)
        batch_op.alter_column('decision_id', existing_type=sa.Integer(), nullable=False)
