"""The store: SQLAlchemy tables, alembic migrations and the repository (our only SQL)."""
