"""Alembic migrations of the write database, one history for SQLite and PostgreSQL."""
