"""data revision: counters per village and commune raised by every write, the key of the rendered pages kept in memory

Issue 9: the pages members and officials open most (worklist, household, dashboard, report preview) are kept rendered
per process and served again until the next write in the commune (fieldwork/pagecache.py).

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-24 06:00:00
"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op


revision: str = '0012'
down_revision: Union[str, None] = '0011'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table(
        'data_revision',
        sa.Column('commune_id', sa.Integer(), autoincrement=False, nullable=False),
        sa.Column('village_id', sa.Integer(), autoincrement=False, nullable=False),
        sa.Column('revision', sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint('commune_id', 'village_id', name=op.f('pk_data_revision')),
    )


def downgrade() -> None:
    op.drop_table('data_revision')
