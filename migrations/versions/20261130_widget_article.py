"""the article a comment was posted under: its URL and title, as the site's page gave them

Revision ID: 20261130_widget_article
Revises: 0003
Create Date: 2026-11-30 06:00:00
"""
import sqlalchemy as sa
from alembic import op

revision = '20261130_widget_article'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('comments', schema=None) as batch_op:
        batch_op.add_column(sa.Column('article_url', sa.String(length=2000), nullable=True))
        batch_op.add_column(sa.Column('article_title', sa.String(length=300), nullable=True))
    # Comments posted before knew only the permalink the form sent.
    op.execute("UPDATE comments SET article_url = permalink WHERE permalink IS NOT NULL")


def downgrade() -> None:
    with op.batch_alter_table('comments', schema=None) as batch_op:
        batch_op.drop_column('article_title')
        batch_op.drop_column('article_url')
