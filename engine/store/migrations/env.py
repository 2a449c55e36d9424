"""Alembic's entry point for the store's migrations: run on the connection the store gives it."""
from alembic import context

connection = context.config.attributes["connection"]
context.configure(connection=connection, version_table="procflow_schema")
with context.begin_transaction():
    context.run_migrations()
