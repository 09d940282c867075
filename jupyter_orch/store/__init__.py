"""The store: its interface (base.py: protocols; types.py: what crosses it) and the SQLAlchemy
implementation (repository.py's Store, split by concern; tables; alembic migrations), our only
SQL."""
