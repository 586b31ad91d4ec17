"""The thin database layer, so that the store and the repositories share one way of reaching the database.

``engine`` opens it, ``migrate`` brings its schema (``schema``, ``migrations/``) up to date, ``database`` holds the
engine and hands out transactions (``tx``), ``clock`` is the one time format of every stored timestamp,
``dialect`` the few statements that differ between SQLite and PostgreSQL, ``checkpoints`` and ``locks`` the
small shared table, and ``copy`` moves a whole database to another.
"""

# The author-identity tables live in their own module (schema.py is already long) but on the same metadata: this
# import registers them wherever the database layer is used, so migrations, copy and schema checks see them.
from openpapers.db import schema_identities as schema_identities
from openpapers.db import schema_social as schema_social
