"""Database access: the embedded server, connection pools, migrations and named queries."""
