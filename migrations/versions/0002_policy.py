"""moderation policy: word lists, blocked domains, bans, post settings, browser token

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-29 10:00:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('comments', schema=None) as batch_op:
        # Keyed hash of the signed first-party browser token (never the token itself).
        batch_op.add_column(sa.Column('browser_token_hash', sa.String(length=64), nullable=True))
        batch_op.create_index('ix_comments_email_token_status',
                              ['author_email_hash', 'browser_token_hash', 'status'], unique=False)

    op.create_table('word_terms',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('term', sa.String(length=200), nullable=False),
    sa.Column('folded', sa.String(length=200), nullable=False),
    sa.Column('list', sa.String(length=16), nullable=False),
    sa.Column('action', sa.String(length=16), nullable=False),
    sa.Column('created_by', sa.String(length=100), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('folded', 'list', name='uq_word_terms_folded_list'),
    )

    op.create_table('blocked_domains',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('domain', sa.String(length=253), nullable=False),
    sa.Column('created_by', sa.String(length=100), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('domain', name='uq_blocked_domains_domain'),
    )

    op.create_table('author_bans',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('value_hash', sa.String(length=64), nullable=True),
    sa.Column('network', sa.String(length=64), nullable=True),
    sa.Column('note', sa.String(length=500), nullable=True),
    sa.Column('created_by', sa.String(length=100), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id'),
    )
    with op.batch_alter_table('author_bans', schema=None) as batch_op:
        batch_op.create_index('ix_author_bans_kind_hash', ['kind', 'value_hash'], unique=False)

    op.create_table('post_settings',
    sa.Column('post_id', sa.String(length=200), nullable=False),
    sa.Column('comments_closed', sa.Boolean(), nullable=False),
    sa.Column('premoderation', sa.Boolean(), nullable=False),
    sa.Column('updated_by', sa.String(length=100), nullable=True),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('post_id'),
    )


def downgrade() -> None:
    op.drop_table('post_settings')
    with op.batch_alter_table('author_bans', schema=None) as batch_op:
        batch_op.drop_index('ix_author_bans_kind_hash')
    op.drop_table('author_bans')
    op.drop_table('blocked_domains')
    op.drop_table('word_terms')
    with op.batch_alter_table('comments', schema=None) as batch_op:
        batch_op.drop_index('ix_comments_email_token_status')
        batch_op.drop_column('browser_token_hash')
