"""finreg ratings history, complaints, guarantee companies serving small/micro/agri

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-28 21:50:00
"""

import sqlalchemy as sa
from alembic import op

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')


def upgrade() -> None:
    with op.batch_alter_table('finreg_institution', schema=None) as batch_op:
        batch_op.add_column(sa.Column('serves_small_micro_agri', sa.Boolean(), nullable=False,
                                      server_default=sa.false()))
    op.create_table('finreg_rating',
    sa.Column('id', ID, nullable=False),
    sa.Column('institution_id', ID, nullable=False),
    sa.Column('period', sa.String(length=7), nullable=False),
    sa.Column('score', sa.Integer(), nullable=False),
    sa.Column('klass', sa.String(length=1), nullable=False),
    sa.Column('parts', sa.Text(), nullable=False),
    sa.Column('model_version', sa.String(length=16), nullable=False),
    sa.Column('as_of', sa.Date(), nullable=False),
    sa.Column('rated_by', sa.String(length=64), nullable=False),
    sa.Column('rated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['institution_id'], ['finreg_institution.id'], name=op.f('fk_finreg_rating_institution_id_finreg_institution')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_finreg_rating')),
    sa.UniqueConstraint('institution_id', 'period', name=op.f('uq_finreg_rating_period'))
    )
    with op.batch_alter_table('finreg_rating', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_finreg_rating_institution_id'), ['institution_id'], unique=False)
    op.create_table('finreg_complaint',
    sa.Column('id', ID, nullable=False),
    sa.Column('institution_id', ID, nullable=False),
    sa.Column('received_on', sa.Date(), nullable=False),
    sa.Column('channel', sa.String(length=16), nullable=False),
    sa.Column('category', sa.String(length=24), nullable=False),
    sa.Column('summary', sa.Text(), nullable=False),
    sa.Column('finding', sa.String(length=16), nullable=False),
    sa.Column('recorded_by', sa.String(length=64), nullable=False),
    sa.Column('recorded_at', sa.DateTime(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['institution_id'], ['finreg_institution.id'], name=op.f('fk_finreg_complaint_institution_id_finreg_institution')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_finreg_complaint'))
    )
    with op.batch_alter_table('finreg_complaint', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_finreg_complaint_institution_id'), ['institution_id'], unique=False)


def downgrade() -> None:
    op.drop_table('finreg_complaint')
    op.drop_table('finreg_rating')
    with op.batch_alter_table('finreg_institution', schema=None) as batch_op:
        batch_op.drop_column('serves_small_micro_agri')
