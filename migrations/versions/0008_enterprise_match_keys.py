"""finreg enterprises: the address and phone as the network compares them

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-29 02:10:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("finreg_enterprise", schema=None) as batch_op:
        batch_op.add_column(sa.Column("address_key", sa.String(length=300), nullable=True))
        batch_op.add_column(sa.Column("phone_key", sa.String(length=40), nullable=True))
        batch_op.create_index(batch_op.f("ix_finreg_enterprise_address_key"), ["address_key"], unique=False)
        batch_op.create_index(batch_op.f("ix_finreg_enterprise_phone_key"), ["phone_key"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("finreg_enterprise", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_finreg_enterprise_phone_key"))
        batch_op.drop_index(batch_op.f("ix_finreg_enterprise_address_key"))
        batch_op.drop_column("phone_key")
        batch_op.drop_column("address_key")
