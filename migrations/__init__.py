"""Alembic migrations, shipped inside the package so `mizan db upgrade` works after install."""
