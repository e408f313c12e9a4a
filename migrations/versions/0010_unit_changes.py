"""administrative changes: communes and villages merged or renamed from a date, and their history

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-24 02:20:00
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa
import sqlmodel


revision: str = '0010'
down_revision: Union[str, None] = '0009'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table('unit_change',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.Enum('rename', 'merge', name='unitchangekind', native_enum=False, length=32), nullable=False),
    sa.Column('unit_type', sa.Enum('commune', 'village', name='unitkind', native_enum=False, length=32), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('into_id', sa.Integer(), nullable=True),
    sa.Column('effective_on', sa.Date(), nullable=False),
    sa.Column('old_name', sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
    sa.Column('new_name', sqlmodel.sql.sqltypes.AutoString(length=120), nullable=True),
    sa.Column('into_name', sqlmodel.sql.sqltypes.AutoString(length=120), nullable=True),
    sa.Column('note', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True),
    sa.Column('moved', sa.JSON(), nullable=True),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['actor_id'], ['user_account.id'], name=op.f('fk_unit_change_actor_id_user_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_unit_change'))
    )
    with op.batch_alter_table('unit_change', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_unit_change_unit_id'), ['unit_id'], unique=False)

    with op.batch_alter_table('commune', schema=None) as batch_op:
        batch_op.add_column(sa.Column('merged_into_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('merged_on', sa.Date(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_commune_merged_into_id_commune'), 'commune', ['merged_into_id'], ['id'])

    with op.batch_alter_table('village', schema=None) as batch_op:
        batch_op.add_column(sa.Column('merged_into_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('merged_on', sa.Date(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_village_merged_into_id_village'), 'village', ['merged_into_id'], ['id'])


def downgrade() -> None:
    with op.batch_alter_table('village', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_village_merged_into_id_village'), type_='foreignkey')
        batch_op.drop_column('merged_on')
        batch_op.drop_column('merged_into_id')

    with op.batch_alter_table('commune', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_commune_merged_into_id_commune'), type_='foreignkey')
        batch_op.drop_column('merged_on')
        batch_op.drop_column('merged_into_id')

    with op.batch_alter_table('unit_change', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_unit_change_unit_id'))

    op.drop_table('unit_change')
