"""query plan indexes: the indexes the member's and official's pages need so none reads a large table whole

Found by tests/test_query_plans.py (issue 9): the sponsorship list and a sponsorship's page look up the enrolments a
sponsorship paid for by ``enrolment.sponsorship_id``, which had no index.

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-24 02:16:00
"""
from typing import Sequence, Union

from alembic import op


revision: str = '0011'
down_revision: Union[str, None] = '0010'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    with op.batch_alter_table('enrolment', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_enrolment_sponsorship_id'), ['sponsorship_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('enrolment', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_enrolment_sponsorship_id'))
