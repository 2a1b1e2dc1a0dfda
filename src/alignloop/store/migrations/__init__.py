"""Alembic migrations of the run store (applied by ``RunStore.open``; no alembic.ini needed)."""
