"""visit_attention: a partial index of the visits still waiting for an official

Every official page shows how many visits wait for them (the status bar). The count now starts from the waiting
rows, which this index lists; resolved ones, which pile up over the years, are not in it.

Revision ID: 0014
Revises: 0013
Create Date: 2026-11-24 21:50:00
"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op


revision: str = '0014'
down_revision: Union[str, None] = '0013'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_index('ix_visit_attention_open', 'visit_attention', ['visit_id'], unique=False,
                    sqlite_where=sa.text('resolved_at IS NULL'), postgresql_where=sa.text('resolved_at IS NULL'))


def downgrade() -> None:
    op.drop_index('ix_visit_attention_open', table_name='visit_attention')
