"""decisions: an index on created_at (the desk's stats and the public sync read by time window)

Revision ID: 20261130_decisions_created_index
Revises: 20261130_queue_backlog_webhook
Create Date: 2026-11-30 20:30:00
"""
from alembic import op


revision = '20261130_decisions_created_index'
down_revision = '20261130_queue_backlog_webhook'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index('ix_decisions_created', 'decisions', ['created_at'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_decisions_created', table_name='decisions')
