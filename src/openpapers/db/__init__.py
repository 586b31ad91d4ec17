"""The thin database layer: engine and dialect, schema, migrations, and the small shared tables (locks)."""
