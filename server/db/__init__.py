"""Database access: engine construction, column types, tables and migrations."""
