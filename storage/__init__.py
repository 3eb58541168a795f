"""Cascade's storage: SQLModel tables, small repository functions, migrations."""
