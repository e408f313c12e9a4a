"""visit (member_id, visited_at): a member's last visit in one index probe

The commune dashboard asks for the last visit of each of the commune's members (70 on a commune of the bench
province). With an index on member_id alone, both databases read every visit of those members (5–6 ms); with
(member_id, visited_at) each member's maximum is the last entry of its range. The new index replaces
ix_visit_member_id, whose lookups it serves as well.

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-24 15:40:00
"""
from typing import Sequence, Union

from alembic import op


revision: str = '0013'
down_revision: Union[str, None] = '0012'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_index('ix_visit_member_visited_at', 'visit', ['member_id', 'visited_at'], unique=False)
    op.drop_index('ix_visit_member_id', table_name='visit')


def downgrade() -> None:
    op.create_index('ix_visit_member_id', 'visit', ['member_id'], unique=False)
    op.drop_index('ix_visit_member_visited_at', table_name='visit')
