"""The first schema: cases, the event log, the clock and the numbering sequences.

Revision ID: 0001
"""
import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table("procflow_meta",
                    sa.Column("name", sa.String(40), primary_key=True),
                    sa.Column("value", sa.Text, nullable=False))
    op.create_table("procflow_cases",
                    sa.Column("id", sa.String(200), primary_key=True),
                    sa.Column("workflow", sa.String(100), nullable=False),
                    sa.Column("version", sa.String(100), nullable=False),
                    sa.Column("status", sa.String(200), nullable=False),
                    sa.Column("row_version", sa.Integer, nullable=False),
                    sa.Column("next_due", sa.String(19)),
                    sa.Column("events", sa.Integer, nullable=False),
                    sa.Column("created", sa.String(19), nullable=False),
                    sa.Column("updated", sa.String(19), nullable=False),
                    sa.Column("state", sa.Text, nullable=False))
    op.create_index("procflow_cases_workflow_status", "procflow_cases", ["workflow", "status"])
    op.create_index("procflow_cases_next_due", "procflow_cases", ["next_due"])
    op.create_table("procflow_events",
                    sa.Column("seq", sa.BigInteger().with_variant(sa.Integer, "sqlite"),
                              primary_key=True,
                              autoincrement=True),
                    sa.Column("at", sa.String(19), nullable=False),
                    sa.Column("kind", sa.String(20), nullable=False),
                    sa.Column("case_id", sa.String(200)),
                    sa.Column("event", sa.String(200)),
                    sa.Column("data", sa.Text),
                    sa.Column("actor", sa.Text),
                    sa.Column("outcome", sa.Text))
    op.create_index("procflow_events_case", "procflow_events", ["case_id"])
    op.create_table("procflow_sequences",
                    sa.Column("workflow", sa.String(100), primary_key=True),
                    sa.Column("field", sa.String(100), primary_key=True),
                    sa.Column("value", sa.BigInteger, nullable=False))


def downgrade() -> None:
    for table in ("procflow_sequences", "procflow_events", "procflow_cases", "procflow_meta"):
        op.drop_table(table)
